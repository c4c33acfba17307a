#!/usr/bin/env bash
# Every configuration of the demo network (examples/network/, examples/resolver.json) and every
# configuration quoted in docs/operations.md and docs/config.md under a "<!-- checked: DAEMON -->"
# line loads with that daemon's --check-config. "<!-- checked: DAEMON FILE -->" also requires the
# block to be FILE of the repository, unchanged; "<!-- checked: cdns-submit -->" marks a job file,
# which cdns-submit must accept. In docs/config.md every json block carries one of these marks or
# "<!-- unchecked: why -->", so no configuration there goes unchecked by oversight.
# usage: network_configs_check.sh CDNS_AUTHORITY CDNS_RESOLVER CDNS_RELAY CDNS_PUBLISH CDNS_SUBMIT
CDNS_AUTHORITY=$1 CDNS_RESOLVER=$2 CDNS_RELAY=$3 CDNS_PUBLISH=$4 CDNS_SUBMIT=$5
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/system/lib.sh"
check() {  # check DAEMON CONFIG WHAT: runs DAEMON --check-config in the config's directory
  local bin rc
  if [ "$1" = cdns-submit ]; then  # a job file: taken apart, then sent to a relay where none listens
    rc=0
    (cd "$(dirname "$2")" && "$CDNS_SUBMIT" --relay http://127.0.0.1:1 --token t --timeout 2 "$(basename "$2")") \
      </dev/null >"$TMP/check.out" 2>&1 || rc=$?
    [ "$rc" = 69 ] || { cat "$TMP/check.out"; fail "cdns-submit refused the job file $3 (exit $rc, expected 69)"; }
    n=$((n + 1))
    return
  fi
  case $1 in
    cdns-authority) bin=$CDNS_AUTHORITY ;; cdns-resolver) bin=$CDNS_RESOLVER ;;
    cdns-relay) bin=$CDNS_RELAY ;; cdns-publish) bin=$CDNS_PUBLISH ;; *) fail "unknown daemon $1" ;;
  esac
  (cd "$(dirname "$2")" && "$bin" --check-config --config "$(basename "$2")") </dev/null >"$TMP/check.out" 2>&1 ||
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

# The docs: each fenced block after a "<!-- checked: DAEMON [FILE] -->" line, as that daemon's
# configuration, in a directory with the files the blocks name.
blocks() {  # blocks DOC DIR STRICT: writes DIR/K.DAEMON.json and DIR/manifest ("K DAEMON FILE LINE")
  mkdir -p "$2"
  awk -v dir="$2" -v strict="$3" '
    /^<!-- checked: [a-z-]+( [^ ]+)? -->$/ { daemon = $3; src = ($4 == "-->") ? "-" : $4; next }
    /^<!-- unchecked: .* -->$/ { skip = 1; next }
    /^```/ && !inblock {
      inblock = 1
      if (daemon != "") { k++; file = dir "/" k "." daemon ".json"; print k, daemon, src, NR > (dir "/manifest") }
      else if (!skip && strict && $0 ~ /^```jsonc?$/) print "unmarked", "-", "-", NR > (dir "/manifest")
      next
    }
    inblock && /^```/ { inblock = 0; daemon = ""; skip = 0; next }
    inblock && daemon != "" { print > file }
  ' "$ROOT/$1"
  touch "$2/manifest"
}
docs() {  # docs DOC DIR STRICT: checks every marked block of DOC; sets count to how many
  local k d src line
  count=0
  blocks "$@"
  while read -r k d src line; do
    [ "$k" != unmarked ] || fail "$1 line $line: a json block without <!-- checked: DAEMON --> or <!-- unchecked: why -->"
    if [ "$src" != - ]; then
      diff "$ROOT/$src" "$2/$k.$d.json" >"$TMP/diff.out" ||
        { cat "$TMP/diff.out"; fail "$1 line $line: the block is not $src as it is now"; }
    fi
    check "$d" "$2/$k.$d.json" "the block at line $line of $1"
    count=$((count + 1))
  done <"$2/manifest"
}

mkdir -p "$TMP/docs"
cp "$ROOT/examples/network/gba.example.zone" "$TMP/docs/"
cp "$TMP/network/relay.key" "$TMP/docs/"
docs docs/operations.md "$TMP/docs" 0
ops=$count
[ "$ops" -ge 3 ] || fail "docs/operations.md has only $ops checked configurations"

# docs/config.md's blocks name zones/, tls/ (only checked to be readable: --check-config does not
# load certificates), relay.key and ../relay.key.
C=$TMP/config/docs
mkdir -p "$C/zones" "$C/tls"
cp "$ROOT/examples/zones/gba.example.zone" "$C/zones/"
cp "$ROOT/examples/zones/gba.example.zone" "$C/"
cat >"$C/zones/edge.example.zone" <<'ZONE'
$ORIGIN edge.example.
$TTL 300
@    SOA ns1 hostmaster 2026112801 7200 900 1209600 300
@    NS  ns1
ns1  A   192.0.2.53
ZONE
: >"$C/tls/cert.pem"
: >"$C/tls/key.pem"
cp "$TMP/network/relay.key" "$C/relay.key"
cp "$TMP/network/relay.key" "$TMP/config/relay.key"
docs docs/config.md "$C" 1
cfg=$count
[ "$cfg" -ge 8 ] || fail "docs/config.md has only $cfg checked configurations"
echo "configurations: $n load with --check-config ($ops from docs/operations.md, $cfg from docs/config.md)"
