# syntax=docker/dockerfile:1
# Gatehouse: a release build of the server binary and the hydrated site in a slim image.
#
#   docker build -t gatehouse .
#   docker compose up          # with PostgreSQL, see docker-compose.yml
#
# Stages: `tools` (Rust toolchains and build tools, rarely changes), `planner` (the dependency
# recipe), `builder` (dependencies first — cached while only our code changes — then the
# app), `runtime` (the binary and site/ only).

FROM rust:1-bookworm AS tools
WORKDIR /src
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends binaryen \
    && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
    && rustup toolchain install nightly --profile minimal \
    && cargo install cargo-chef --locked \
    && cargo +nightly install cargo-leptos --version 0.3.11 --locked --features no_downloads
# The wasm-bindgen CLI must match the crate version in Cargo.lock.
COPY Cargo.lock .
RUN version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock) \
    && cargo install wasm-bindgen-cli --version "$version"

FROM tools AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM tools AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies of the server (native) and of the browser bundle (wasm), cached as a layer.
# With the flags cargo-leptos gives release builds (erased views, Cargo.toml), or the layer
# would not be reused.
RUN export RUSTFLAGS="--cfg erase_components" \
    && cargo chef cook --release --recipe-path recipe.json -p server \
    && cargo chef cook --profile wasm-release --target wasm32-unknown-unknown \
        --recipe-path recipe.json -p frontend --no-default-features
COPY . .
RUN cargo leptos build --release --precompress \
    && test -x target/release/gatehouse && test -d target/site/pkg && test -s target/release/hash.txt

FROM debian:bookworm-slim AS runtime
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app gatehouse
WORKDIR /app
COPY --from=builder /src/target/release/gatehouse /app/gatehouse
# The hashes of the site's file names, read beside the binary (server/src/assets.rs).
COPY --from=builder /src/target/release/hash.txt /app/hash.txt
COPY --from=builder /src/target/site /app/site
USER gatehouse
ENV LEPTOS_OUTPUT_NAME=gatehouse \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_ENV=PROD \
    GATEHOUSE_BIND=0.0.0.0:3000 \
    GATEHOUSE_LOG_FORMAT=json
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000"]
ENTRYPOINT ["/app/gatehouse"]
CMD ["serve"]
