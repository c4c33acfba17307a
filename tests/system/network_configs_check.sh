#!/usr/bin/env bash
# Every configuration of the demo network (examples/network/, examples/resolver.json) and every
# configuration quoted in docs/operations.md under a "<!-- checked: DAEMON -->" line loads with
# that daemon's --check-config.
# usage: network_configs_check.sh CDNS_AUTHORITY CDNS_RESOLVER CDNS_RELAY CDNS_PUBLISH
CDNS_AUTHORITY=$1 CDNS_RESOLVER=$2 CDNS_RELAY=$3 CDNS_PUBLISH=$4
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/system/lib.sh"
check() {  # check DAEMON CONFIG: runs DAEMON --check-config in the config's directory
  local bin
  case $1 in
    cdns-authority) bin=$CDNS_AUTHORITY ;; cdns-resolver) bin=$CDNS_RESOLVER ;;
    cdns-relay) bin=$CDNS_RELAY ;; cdns-publish) bin=$CDNS_PUBLISH ;; *) fail "unknown daemon $1" ;;
  esac
  (cd "$(dirname "$2")" && "$bin" --check-config --config "$(basename "$2")") >"$TMP/check.out" 2>&1 ||
    { cat "$TMP/check.out"; fail "$1 --check-config refused $3"; }
  n=$((n + 1))
}
n=0
cp -r "$ROOT/examples/network" "$TMP/network"
"$CDNS_RELAY" keygen >"$TMP/network/relay.key"  # the relays' token key is made at deployment
check cdns-authority "$TMP/network/authority.json" examples/network/authority.json
check cdns-resolver "$ROOT/examples/resolver.json" examples/resolver.json
for c in sz1 hk1 gz1 dg1; do
  check cdns-relay "$TMP/network/$c/relay.json" "examples/network/$c/relay.json"
  check cdns-publish "$TMP/network/$c/publisher.json" "examples/network/$c/publisher.json"
done

# The docs: each fenced block after a "<!-- checked: DAEMON -->" line, as that daemon's
# configuration, in a directory with the files it names (relay.key, gba.example.zone, keys).
mkdir -p "$TMP/docs"
cp "$ROOT/examples/network/gba.example.zone" "$TMP/docs/"
cp "$TMP/network/relay.key" "$TMP/docs/"
awk -v dir="$TMP/docs" '
  /^<!-- checked: [a-z-]+ -->$/ { daemon = $3; next }
  daemon != "" && /^```/ && !inblock { inblock = 1; k++; file = dir "/" k "." daemon ".json"; next }
  inblock && /^```/ { inblock = 0; daemon = ""; next }
  inblock { print > file }
' "$ROOT/docs/operations.md"
docs=0
for f in "$TMP"/docs/*.json; do
  [ -e "$f" ] || continue
  d=${f##*/}; d=${d#*.}; d=${d%.json}
  check "$d" "$f" "the block $(basename "$f") of docs/operations.md"
  docs=$((docs + 1))
done
[ "$docs" -ge 3 ] || fail "docs/operations.md has only $docs checked configurations"
echo "configurations: $n load with --check-config ($docs from docs/operations.md)"
