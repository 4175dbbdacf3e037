# The whole parity matrix on the offline models, as `make check` runs it on CI: tmgt, llama.cpp,
# the transformers oracle, the SmolLM2-135M fixture, the tiny GPT-2 and Qwen2 built from
# models/recipes and apr, each installed by the ci/ script
# that `make check` runs. `docker run` runs `make check` (results in /src/results).
#
# The toolchains the scripts expect of the machine: cargo (rust image; apr-cli 0.72.3 is built
# with it), Node.js 20 with npm (llama.cpp's source comes from the npm registry), CPython 3.11
# with venv (bookworm's python3; the oracle's lock is for cp311 wheels).
FROM node:20-bookworm-slim AS node

FROM rust:1.95-bookworm
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /src
COPY ci/ ci/
RUN ci/setup-deps.sh python3-venv && rm -rf /var/lib/apt/lists/*
# The longest step (tens of minutes) first: its layer stays while the rest of the tree changes.
RUN ci/install-apr.sh
COPY . .
RUN ci/install-llamacpp.sh && ci/setup-oracle.sh && ci/setup-fixture.sh && ci/setup-tiny-models.sh \
    && make build
CMD ["make", "check"]
