#!/usr/bin/env bash
# Configures and builds one preset (default: dev): everything, or only the target named in
# CDNS_BUILD_TARGET (CI's sanitizer pass: cdns_unit_and_replay). usage: scripts/build.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
[ -f "build/$preset/build.ninja" ] || cmake --preset "$preset" >/dev/null
if [ -n "${CDNS_BUILD_TARGET:-}" ]; then
  cmake --build --preset "$preset" --target "$CDNS_BUILD_TARGET"
else
  cmake --build --preset "$preset"
fi
