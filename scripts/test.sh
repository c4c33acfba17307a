#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test (unit,
# fuzz-replay, system, interop) with CTest. usage: scripts/test.sh [PRESET] [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
shift || true
scripts/setup.sh
scripts/build.sh "$preset"
ctest --preset "$preset" "$@"
