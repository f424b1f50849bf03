# Multi-stage build: compile with the Rust toolchain image, run on a slim Debian image
# as a non-root user. The SQLite file lives on the /data volume.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY migrations ./migrations
COPY sandbox ./sandbox
COPY bench ./bench
COPY src ./src
# The playground pages and vendored browser files are compiled in (include_bytes!).
COPY assets ./assets
RUN cargo build --release --locked --bin bspgraph

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data bspgraph \
    && mkdir -p /data && chown bspgraph /data
COPY --from=build /src/target/release/bspgraph /usr/local/bin/bspgraph
USER bspgraph
WORKDIR /data
VOLUME ["/data"]
ENV DATABASE_URL="sqlite:///data/bspgraph.db?mode=rwc" \
    BSPGRAPH_LISTEN="0.0.0.0:8080"
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s CMD ["bspgraph", "probe"]
ENTRYPOINT ["bspgraph"]
CMD ["serve"]
