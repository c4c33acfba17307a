#!/usr/bin/env bash
# Installs libcdns from the build tree into a temporary prefix (cmake --install, component
# libcdns), builds examples/libcdns against it with find_package(cdns), and runs the example
# against a real cdns-resolver replicating a real cdns-authority.
# usage: libcdns_install.sh CMAKE BUILD_DIR SOURCE_DIR CDNS_AUTHORITY CDNS_RESOLVER ZONEFILE [LINKER_FLAGS]
CMAKE=$1 BUILD=$2 SRC=$3 CDNS_AUTHORITY=$4 CDNS_RESOLVER=$5 ZONE=$6 LDFLAGS_EXTRA=${7:-}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/clients_lib.sh"

"$CMAKE" --install "$BUILD" --component libcdns --prefix "$TMP/prefix" >"$TMP/install.log"
for f in include/cdns/cdns.h lib/cmake/cdns/cdnsConfig.cmake lib/cmake/cdns/cdnsConfigVersion.cmake lib/cmake/cdns/cdnsTargets.cmake; do
  [ -f "$TMP/prefix/$f" ] || [ -f "$TMP/prefix/${f/lib\//lib64/}" ] || fail "not installed: $f"
done
ls "$TMP"/prefix/lib*/libcdns.a >/dev/null || fail "not installed: libcdns.a"
# Only what an application needs: no daemons, no internal headers.
[ -z "$(find "$TMP/prefix" -name 'cdns-*' -o -name 'dns_message.h')" ] || fail "the component installs more than libcdns"

"$CMAKE" -S "$SRC/examples/libcdns" -B "$TMP/example" -DCMAKE_PREFIX_PATH="$TMP/prefix" \
  ${LDFLAGS_EXTRA:+-DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS_EXTRA"} >"$TMP/example-configure.log" 2>&1 ||
  { cat "$TMP/example-configure.log"; fail "configuring the example with find_package(cdns) failed"; }
"$CMAKE" --build "$TMP/example" >"$TMP/example-build.log" 2>&1 || { cat "$TMP/example-build.log"; fail "building the example failed"; }
# A version the package does not provide is refused.
mkdir -p "$TMP/v9"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(v LANGUAGES CXX)\nfind_package(cdns 9 REQUIRED)\n' >"$TMP/v9/CMakeLists.txt"
if "$CMAKE" -S "$TMP/v9" -B "$TMP/v9/build" -DCMAKE_PREFIX_PATH="$TMP/prefix" >"$TMP/v9.log" 2>&1; then fail "find_package(cdns 9) succeeded"; fi

start_compute "$ZONE" "_relay._tcp.sz1.centers SRV 0 0 8443 relay.sz1.centers
relay.sz1.centers A 127.0.0.1"
export CDNS_RESOLVER=127.0.0.1:$RES_PORT CDNS_ZONE=gba.example
out=$("$TMP/example/cdns-find" infer)
[ "$out" = "center   sz1
endpoint infer.sz1.centers.gba.example.
address  192.0.2.10
relay    relay.sz1.centers.gba.example. 127.0.0.1 port 8443" ] || fail "cdns-find infer: $out"
out=$("$TMP/example/cdns-find" --explain infer policy=price)
[[ "$out" == "center   gz1"* ]] || fail "cdns-find infer policy=price: $out"
[[ "$out" == *"OUTCOME"* && "$out" == *chosen* ]] || fail "no explanation table: $out"
rc=0; out=$("$TMP/example/cdns-find" infer gpu=100 2>&1) || rc=$?
[ "$rc" = 1 ] && [[ "$out" == *"no center left after fits"* ]] || fail "nothing fits: $rc $out"
echo "libcdns: installed, found with find_package(cdns), example built and answered from a real resolver"
