#!/usr/bin/env bash
# Interop: a zone holding every compute type, written in generic form by cdns-rrconv, is served
# by a real knotd; kdig fetches it (AXFR and single queries); cdns-rrconv turns kdig's output back
# into our presentation form, which must be identical to the source.
# usage: knot_rrtypes.sh CDNS_RRCONV KNOTD KDIG ZONEFILE
RRCONV=$1 KNOTD=$2 KDIG=$3 SRC=$4
. "$(dirname "$0")/lib.sh"

ORIGIN=gba.example.
"$RRCONV" --zone "$SRC" --origin $ORIGIN --to text | sort >"$TMP/source.txt"
"$RRCONV" --zone "$SRC" --origin $ORIGIN --to generic >"$TMP/gba.example.zone"
grep -q 'TYPE65286' "$TMP/gba.example.zone" || fail "generic zone lacks TYPE65286"

start_knotd gba.example "$TMP/gba.example.zone"

# AXFR through kdig, back through the converter.
"$KDIG" @127.0.0.1 -p "$KNOT_PORT" gba.example AXFR +nocomments +nostats >"$TMP/axfr.txt"
"$RRCONV" <"$TMP/axfr.txt" | sort -u >"$TMP/back.txt"
if ! diff -u "$TMP/source.txt" "$TMP/back.txt"; then fail "AXFR through knotd changed the records"; fi

# Each type by a plain query, as any resolver would ask.
code=65280
for name in SITE CAP PRICE ENERGY NETQ DATA TIER; do
  got=$("$KDIG" @127.0.0.1 -p "$KNOT_PORT" sz1.centers.gba.example "TYPE$code" +noall +answer | "$RRCONV")
  want=$(grep -P "^sz1\.centers\.gba\.example\.\t\d+\tIN\t$name\t" "$TMP/source.txt")
  [ -n "$want" ] || fail "source has no $name"
  [ "$got" = "$want" ] || fail "TYPE$code: got '$got' want '$want'"
  code=$((code + 1))
done
echo "knot interop: $(wc -l <"$TMP/back.txt") records identical after knotd + kdig"
