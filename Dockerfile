# The `microcosm` binary in a small image, for CI systems without a Rust toolchain:
#
#   docker build -t microcosm .
#   docker run --rm -v "$PWD:/work" microcosm check architecture/
#
# The binary is the entrypoint and /work the working directory, so the image takes
# `microcosm`'s arguments and reads the files mounted there. Exit codes pass through (0 pass,
# 1 a check fails, 2 invalid input).

# Build stage: the release binary, with the committed lockfile. The builder and the final image
# are the same Debian release (bookworm), so the binary finds the glibc it was linked against.
FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# Without the line tables the release profile keeps (a 66 MB binary); symbols stay, so a panic's
# backtrace still names its functions.
ENV CARGO_PROFILE_RELEASE_STRIP=debuginfo
RUN cargo build --release --locked --bin microcosm

# Final stage: the binary alone on a slim Debian. Not distroless: GitLab CI and others run job
# scripts with a shell inside the image (override the entrypoint there: see the README).
FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="microcosm" \
      org.opencontainers.image.description="Formal-model simulator and verifier for microservice architectures" \
      org.opencontainers.image.source="https://github.com/microcosm-dev/microcosm" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
COPY --from=build /src/target/release/microcosm /usr/local/bin/microcosm
# No USER: a CI job writes its reports into the checkout mounted at /work, which a fixed
# unprivileged user could not write to (GitLab's build directory, a runner's workspace). To
# get files owned by you locally, pass `--user "$(id -u):$(id -g)"`.
WORKDIR /work
ENTRYPOINT ["microcosm"]
CMD ["--help"]
