#!/usr/bin/env bash
# M/M/1 (lambda = 0.9, mu = 1 per ms, 10^6 customers) in SimPy 4.1.2, in two styles, against
# `microcosm simulate` on the same model (mm1.toml): each whole process timed side by side,
# interleaved, with the versions and the machine printed, and the medians of RUNS runs. The
# README's simulator comparison is this script's output.
#
#   simulator/benches/compare/run.sh                # builds the release binary first
#   MICROCOSM=path/to/microcosm RUNS=7 simulator/benches/compare/run.sh
#
# MICROCOSM: the binary to time (default: this repository's release build, built here if
#   missing; a debug build is no fair comparison). RUNS: runs of each (default 5).
# VENV: where the Python virtual environment is made (default: under $TMPDIR); SimPy is
#   installed into it from the Python package registry, nothing is installed system-wide.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
runs="${RUNS:-5}"
venv="${VENV:-${TMPDIR:-/tmp}/microcosm-simpy-venv}"

if [[ -z "${MICROCOSM:-}" ]]; then
    (cd "$root" && cargo build --release --locked --bin microcosm)
    MICROCOSM="$root/target/release/microcosm"
fi
[[ -x "$MICROCOSM" ]] || { echo "no microcosm binary at $MICROCOSM" >&2; exit 2; }

if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check simpy==4.1.2

# The model must load before anything is timed: a broken file would time an error message.
"$MICROCOSM" validate "$here/mm1.toml" >/dev/null

exec "$venv/bin/python" "$here/compare.py" "$MICROCOSM" "$runs"
