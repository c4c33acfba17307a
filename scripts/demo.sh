#!/usr/bin/env bash
# The main job: sets up, builds and runs the most end-to-end path that exists today. Until the
# whole demo network lands, that is the publish-and-fetch path of the record types: the example
# compute zone is loaded in presentation form, handed to a real Knot server in RFC 3597 form,
# fetched with kdig, and decoded back into readable compute records.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh dev >/dev/null
RRCONV=build/dev/rrtypes/cdns-rrconv
ZONE=examples/zones/gba.example.zone
. tests/system/lib.sh

echo "== 1. the compute zone, as its operator writes it ($ZONE)"
grep -E '^\S+\s+(SITE|CAP)|^\s+(PRICE|ENERGY|NETQ|DATA|TIER)' "$ZONE" | head -8
echo
echo "== 2. the same records in RFC 3597 form, for any standard DNS server"
"$RRCONV" --zone "$ZONE" --origin gba.example. --to generic >"$TMP/gba.example.zone"
grep TYPE6528 "$TMP/gba.example.zone" | head -3 | cut -c1-110
echo
start_knotd gba.example "$TMP/gba.example.zone"
echo "== 3. knotd serves them on 127.0.0.1@$KNOT_PORT; kdig asks for sz1's capacity"
kdig @127.0.0.1 -p "$KNOT_PORT" sz1.centers.gba.example TYPE65281 +noall +answer | tee "$TMP/cap.txt" | cut -c1-110
echo
echo "== 4. decoded by cdns-rrconv, as text and as JSON"
"$RRCONV" <"$TMP/cap.txt"
"$RRCONV" --to json <"$TMP/cap.txt"
echo
echo "== 5. the whole zone over AXFR, decoded"
kdig @127.0.0.1 -p "$KNOT_PORT" gba.example AXFR +nocomments +nostats | "$RRCONV" | grep -E 'SITE|CAP|PRICE|ENERGY|NETQ|DATA|TIER'
echo
echo "demo: done (knotd stopped)"
