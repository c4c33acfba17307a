#!/usr/bin/env bash
# Interop: a Knot secondary follows a zone of cdns-authority through NOTIFY and real IXFRs while
# signed updates (nsupdate) flow, and ends identical to the primary, our record types included.
# usage: updates_knot_secondary.sh CDNS_AUTHORITY KNOTD KDIG NSUPDATE
CDNS_AUTHORITY=$1 KNOTD=$2 KDIG=$3 NSUPDATE=$4
. "$(dirname "$0")/lib.sh"

ZONE=gba.example
SECRET=$(head -c 32 /dev/urandom | base64)
XFR_SECRET=$(head -c 32 /dev/urandom | base64)
cat >"$TMP/gba.zone" <<ZONEFILE
\$ORIGIN $ZONE.
\$TTL 300
@ SOA ns1 hostmaster 1 3600 600 604800 300
@ NS ns1
ns1 A 127.0.0.1
sz1.centers CAP cpu=1024/4096 load=0.5 queue=0 ts=1795843200
ZONEFILE
config() {  # config NOTIFY_TARGETS_JSON
  cat >"$TMP/auth.json" <<JSON
{"keys": [{"name": "sz1.", "algorithm": "hmac-sha256", "secret": "$SECRET"},
          {"name": "xfr.", "algorithm": "hmac-sha256", "secret": "$XFR_SECRET"}],
 "zones": [{"name": "$ZONE.", "file": "$TMP/gba.zone", "notify": $1, "notify_key": "xfr.",
            "transfer": {"keys": ["xfr."]},
            "update": {"rules": [{"key": "sz1.", "name": "sz1.centers.$ZONE.", "types": ["ANY"]}]}}]}
JSON
}
config '[]'
start_authority --config "$TMP/auth.json" --threads 2
# The secondary signs its transfers and accepts only signed NOTIFY, with the xfr. key.
KNOT_KEY="hmac-sha256:xfr.:$XFR_SECRET" start_knotd $ZONE "$TMP/secondary.zone" "127.0.0.1@$AUTH_PORT"
# Now that Knot's port is known, point NOTIFY at it and reload.
config "[\"127.0.0.1:$KNOT_PORT\"]"
kill -HUP "$AUTH_PID"
sleep 0.3

publish() {  # publish N: replaces sz1's CAP with queue=N, as a center's publisher does
  # nsupdate knows nothing of CAP: it goes in RFC 3597 form, queue=N being key 7, length 4, N.
  local hex; hex=$(printf '00070004%08x' "$1")
  printf 'server 127.0.0.1 %s\nzone %s\nupdate delete sz1.centers.%s TYPE65281\nupdate add sz1.centers.%s 60 TYPE65281 \\# 8 %s\nupdate add n%s.sz1.centers.%s 60 A 192.0.2.%s\nsend\n' \
    "$AUTH_PORT" $ZONE $ZONE $ZONE "$hex" "$1" $ZONE "$(( $1 % 250 ))" | "$NSUPDATE" -y "hmac-sha256:sz1.:$SECRET"
}
for i in $(seq 1 40); do publish "$i"; done

want=$("$KDIG" @127.0.0.1 -p "$AUTH_PORT" $ZONE SOA +short | awk '{print $3}')
[ "$want" = 41 ] || fail "primary serial $want, expected 41"
for _ in $(seq 100); do
  got=$("$KDIG" @127.0.0.1 -p "$KNOT_PORT" $ZONE SOA +short | awk '{print $3}' || true)
  [ "$got" = "$want" ] && break
  sleep 0.1
done
[ "$got" = "$want" ] || fail "secondary stuck at serial $got, primary at $want"
"$KDIG" @127.0.0.1 -p "$AUTH_PORT" -y "hmac-sha256:xfr.:$XFR_SECRET" $ZONE AXFR +nocomments +nostats | grep -v TSIG | sort -u >"$TMP/primary.txt"
"$KDIG" @127.0.0.1 -p "$KNOT_PORT" $ZONE AXFR +nocomments +nostats | sort -u >"$TMP/secondary.txt"
diff -u "$TMP/primary.txt" "$TMP/secondary.txt" || fail "secondary differs from primary"
grep -q 'TYPE65281.*0007000400000028' "$TMP/secondary.txt" || fail "secondary lacks the last CAP"
log=$(cat "$TMP"/knot.*/knotd.log)
ixfrs=$(grep -c 'IXFR, incoming.*finished' <<<"$log" || true)
axfrs=$(grep -c 'AXFR, incoming.*finished' <<<"$log" || true)
[ "$ixfrs" -ge 1 ] || fail "the secondary made no IXFR"
[ "$axfrs" -le 1 ] || fail "the secondary fell back to AXFR ($axfrs times)"
unsigned=$("$KDIG" @127.0.0.1 -p "$AUTH_PORT" $ZONE AXFR 2>&1 || true)
grep -q REFUSED <<<"$unsigned" || fail "an unsigned AXFR was not refused"
echo "knotd secondary followed 40 updates by signed NOTIFY: $ixfrs IXFRs, $axfrs AXFR (the first load), identical at serial $want"
