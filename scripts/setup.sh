#!/usr/bin/env bash
# Installs the Debian packages cdns needs to build, test and run its demo. Idempotent: quiet
# and quick when nothing is missing. Needs root (or sudo) only when something must be installed.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # libraries
  libldns-dev libc-ares-dev libuv1-dev libssl-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers and tools for the tests and benchmarks
  ldnsutils bind9-dnsutils knot knot-dnsutils nsd unbound dnsperf openssl curl
  iproute2 procps xxd
  # a real single-node Slurm for the publisher's (and later the relay's) tests
  munge slurm-wlm slurm-client
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
# Debian starts packaged daemons on install where it can; our tests run their own instances.
for svc in knot nsd unbound; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done
echo "setup: done"
