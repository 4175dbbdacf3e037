# A reproducible environment for tmgt: the same Debian packages the CI scripts install.
FROM debian:bookworm
WORKDIR /src
COPY ci/ ci/
RUN ci/setup-deps.sh && apt-get install -y --no-install-recommends python3-pytest && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make build
ENTRYPOINT ["/src/build/tmgt"]
