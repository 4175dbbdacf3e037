# Thin wrapper over CMake. `make check` is the main job, `make test` the test suite.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build test unit integration pull convert check ticket sim clean distclean asan fuzz fuzz-build fuzz-deep valgrind e2e e2e-setup deps bench bench-build bench-smoke format format-check

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# Unit tests (cmocka, through CTest), then the CLI integration tests on the engine simulator.
# TMGT_BUILD: the CLI tests drive this build's tmgt (build-asan's under `make asan`).
# The CLI tests spend most of their time waiting (the simulator's delays, timeouts, servers):
# one after another they kept a fraction of a core busy, so they run in TEST_WORKERS
# pytest-xdist processes (ci/setup-python-tests.sh installs it; without it, one process).
# `--dist loadgroup` hands out single tests, but a module marked xdist_group (the one-node Slurm
# cluster's) stays on one worker with its cluster.
TEST_WORKERS ?= 4
HAVE_XDIST := $(shell python3 -c 'import xdist' 2>/dev/null && echo yes)
PYTEST_PARALLEL = $(if $(HAVE_XDIST),-n $(TEST_WORKERS) --dist loadgroup)
test: unit integration

unit: build
	cd $(BUILD) && ctest --output-on-failure

integration: build
	TMGT_BUILD=$(CURDIR)/$(BUILD) python3 -m pytest -q $(PYTEST_PARALLEL) tests/integration $(PYTEST_ARGS)

# The whole matrix on the engine simulator (tests tmgt itself, not the engines).
sim: build
	$(BUILD)/tmgt --pipeline tests/sim/pipeline.json --cache-dir $(BUILD)/sim-cache --results-dir $(BUILD)/sim-results

# The main job: install what is missing, then pull + convert + check the offline model set.
# pull, convert and ticket are the original harness's other entry points, on the same pipeline
# with the same engines (third_party/bin: llama.cpp; ~/.cargo/bin: apr).
TMGT_DEFAULT = PATH="$(CURDIR)/third_party/bin:$$HOME/.cargo/bin:$$PATH" $(BUILD)/tmgt --pipeline pipeline/default.json

deps:
	ci/setup-deps.sh

check: deps build e2e-setup
	$(TMGT_DEFAULT)

pull: deps build
	$(TMGT_DEFAULT) pull

convert: deps build e2e-setup
	$(TMGT_DEFAULT) convert

# The Markdown issue body for the last run's failures (results/latest.json); runs nothing.
ticket: build
	$(TMGT_DEFAULT) ticket

# Real engines and the real models (SmolLM2-135M, the tiny GPT-2 and Qwen2 of models/recipes),
# end to end (installs them first; long the first time).
e2e-setup:
	ci/install-llamacpp.sh
	ci/setup-oracle.sh
	ci/setup-fixture.sh
	ci/setup-tiny-models.sh
	ci/install-apr.sh

e2e: build e2e-setup
	python3 -m pytest -q tests/e2e

# The whole test suite, test_slurm.py included: its time is the one-node cluster's, spent on a
# worker of its own beside the others.
asan:
	$(MAKE) BUILD=build-asan CMAKE_FLAGS="-DTMGT_SANITIZE=ON -DTMGT_WERROR=ON" test

# libFuzzer targets (clang, ASan/UBSan) over every parser of outside data (ci/run-fuzz.sh):
# `make fuzz` is CI's short run, FUZZ_SECONDS each; `make fuzz-deep` runs each target to
# FUZZ_DEEP_RUNS executions (or FUZZ_DEEP_SECONDS, 0: no time limit), JOBS targets at once, then
# the header readers' differential check, and keeps the figures in FUZZ_DEEP_OUT (committed;
# ci/update-readme-reliability.sh puts them in the README). Hours on a few cores.
FUZZ_SECONDS ?= 20
FUZZ_DEEP_RUNS ?= 10000000
FUZZ_DEEP_SECONDS ?= 0
FUZZ_DEEP_OUT ?= tests/fuzz/results/deep.json
FUZZ_DIFF_FILES ?= 20000
VENV_PYTHON = $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)

fuzz-build:
	CC=clang cmake -S . -B build-fuzz -DTMGT_FUZZ=ON -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j$(JOBS)

fuzz: fuzz-build
	ci/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

fuzz-deep: fuzz-build
	FUZZ_RUNS=$(FUZZ_DEEP_RUNS) FUZZ_JOBS=$(JOBS) FUZZ_OUT=$(FUZZ_DEEP_OUT) ci/run-fuzz.sh build-fuzz $(FUZZ_DEEP_SECONDS)
	@if [ -x build-fuzz/tests/fuzz/format_header_probe ]; then set -x; \
	  $(VENV_PYTHON) tests/fuzz/differential_headers.py --build build-fuzz --generate $(FUZZ_DIFF_FILES) \
	    --corpus build-fuzz/fuzz-corpus/format_header --files 'tests/sim/models/*/model.safetensors' \
	    --into $(FUZZ_DEEP_OUT); \
	else echo "fuzz-deep: no header reader probe (it comes with the format_header target): no differential check"; fi

# valgrind memcheck of the whole simulator matrix: any leak or invalid access fails.
valgrind: build
	ci/run-valgrind.sh $(BUILD)

# C formatting by .clang-format (Debian's clang-format, ci/setup-fuzz-deps.sh): format-check lists
# what differs and fails, format rewrites the files in place.
FORMAT_FILES = $(shell git ls-files '*.c' '*.h')
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

format:
	clang-format -i $(FORMAT_FILES)

clean:
	rm -rf $(BUILD)/sim-cache $(BUILD)/sim-results

distclean:
	rm -rf build build-asan build-fuzz build-rel

# Benchmarks: tmgt side by side with the original harness's approach, make, ninja and the
# physical bound, on a release build (bench/README.md). bench-smoke is the seconds-long version
# CI runs; it proves the benchmarks work and asserts nothing about time.
BENCH_BUILD ?= build-rel

$(BENCH_BUILD)/CMakeCache.txt:
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

bench-build: $(BENCH_BUILD)/CMakeCache.txt
	cmake --build $(BENCH_BUILD) -j$(JOBS)

bench: bench-build
	TMGT_BENCH_BUILD=$(BENCH_BUILD) python3 bench/run.py
	python3 bench/table.py --readme README.md

bench-smoke: bench-build
	TMGT_BENCH_BUILD=$(BENCH_BUILD) python3 bench/run.py --smoke --out $(BENCH_BUILD)/bench-smoke.json
	python3 bench/table.py $(BENCH_BUILD)/bench-smoke.json >/dev/null
