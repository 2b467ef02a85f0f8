# Builds the backend and the WASM frontend, then ships both in a slim image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-unknown-unknown \
 && cargo install --locked trunk@0.21.14 \
 && cargo install wasm-bindgen-cli --version 0.2.130 \
 && apt-get update && apt-get install -y --no-install-recommends npm brotli \
 && npm install --prefix /opt/binaryen binaryen@132
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH TRUNK_TOOLS_WASM_OPT=version_132
COPY . .
RUN trunk build --release --skip-version-check \
 && cargo build --release -p confab-backend --bin confab

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/release/confab /app/confab
COPY --from=build /src/dist /app/dist
EXPOSE 8080
CMD ["/app/confab"]
