#!/usr/bin/env bash
# Interop: cdns-authority and a real knotd serve the same zone (ours in presentation form, Knot's
# in RFC 3597 form); kdig asks both the same questions and the answers must agree: rcode, flags,
# every section. Then a knotd secondary transfers the zone from cdns-authority by AXFR and must
# serve our records byte for byte as we do.
# usage: authority_vs_knot.sh CDNS_AUTHORITY CDNS_RRCONV KNOTD KDIG ZONEFILE
CDNS_AUTHORITY=$1 RRCONV=$2 KNOTD=$3 KDIG=$4 SRC=$5
. "$(dirname "$0")/lib.sh"

ZONE=example.test
"$RRCONV" --zone "$SRC" --origin $ZONE. --to generic >"$TMP/generic.zone"
start_knotd $ZONE "$TMP/generic.zone"
KNOT1=$KNOT_PORT
start_authority --zone "$ZONE=$SRC" --allow-transfer 127.0.0.1 --threads 1

# Prints a reply as sorted "SECTION<TAB>record" lines plus status and flags; ids and timings out.
normalise() {
  awk '
    /^;; ->>HEADER<<-/ { sub(/; id: [0-9]+/, ""); print "HEADER\t" $0; next }
    /^;; Flags:/ { print "FLAGS\t" $0; next }
    /^;; EDNS PSEUDOSECTION:/ { sec = "EDNS"; next }
    /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/ { sec = $2; next }
    /^;; (Received|Time|From)/ { next }
    /^;;/ && sec == "EDNS" { print "EDNS\t" $0; next }
    /^;/ && sec == "QUESTION" { print "QUESTION\t" $0; next }
    /^$/ { next }
    !/^;/ { gsub(/[ \t]+/, " "); print sec "\t" $0 }
  ' | sort
}

queries=(
  "www.$ZONE A" "www.$ZONE AAAA" "nope.$ZONE A" "b.ent.$ZONE A" "ent.$ZONE TXT" "chain1.$ZONE A"
  "dangling.$ZONE A" "outside.$ZONE A" "alias.$ZONE CNAME" "anything.wild.$ZONE A" "x.y.wild.$ZONE TXT"
  "wild.$ZONE A" "sub.$ZONE A" "host.sub.$ZONE AAAA" "ns.sub.$ZONE A" "sub.$ZONE DS" "$ZONE MX" "$ZONE NS"
  "$ZONE SOA" "_relay._tcp.sz1.centers.$ZONE SRV" "sz1.centers.$ZONE TYPE65281" "sz1.centers.$ZONE TYPE65280"
  "WwW.ExAmPlE.TeSt A" "www.example.org A" "big.$ZONE TXT"
)
n=0
for q in "${queries[@]}"; do
  for opts in "+norec +ignore" "+norec +edns +bufsize=4096" "+norec +edns +bufsize=512 +ignore" "+norec +dnssec" "+tcp +edns"; do
    # shellcheck disable=SC2086
    a=$("$KDIG" @127.0.0.1 -p "$AUTH_PORT" $q $opts +retry=0 +timeout=2 | normalise)
    # shellcheck disable=SC2086
    b=$("$KDIG" @127.0.0.1 -p "$KNOT1" $q $opts +retry=0 +timeout=2 | normalise)
    if [ "$a" != "$b" ]; then
      echo "--- differs: $q $opts"; diff <(echo "$b") <(echo "$a") | sed 's/^</knot: /; s/^>/cdns: /'
      fail "answers differ from Knot for: $q $opts"
    fi
    n=$((n + 1))
  done
done
echo "same answers as knotd for $n queries"

# A Knot secondary transfers the zone from cdns-authority and serves it identically.
start_knotd $ZONE "$TMP/secondary.zone" "127.0.0.1@$AUTH_PORT"
KNOT2=$KNOT_PORT
"$KDIG" @127.0.0.1 -p "$AUTH_PORT" $ZONE AXFR +nocomments +nostats | sort -u >"$TMP/axfr.cdns"
"$KDIG" @127.0.0.1 -p "$KNOT2" $ZONE AXFR +nocomments +nostats | sort -u >"$TMP/axfr.knot"
grep -q 'TYPE65281' "$TMP/axfr.knot" || fail "secondary lacks our CAP record"
diff -u "$TMP/axfr.cdns" "$TMP/axfr.knot" || fail "the secondary's zone differs from the primary's"
for t in TYPE65281 SRV; do
  name=sz1.centers.$ZONE; [ $t = SRV ] && name=_relay._tcp.sz1.centers.$ZONE
  a=$("$KDIG" @127.0.0.1 -p "$AUTH_PORT" $name $t +short)
  b=$("$KDIG" @127.0.0.1 -p "$KNOT2" $name $t +short)
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "$t: primary '$a' secondary '$b'"
done
echo "knotd secondary: $(wc -l <"$TMP/axfr.knot") records, identical to cdns-authority, our types byte for byte"

# A signed, multi-message AXFR: a zone of a few thousand records, transfers allowed only with a
# TSIG key; the Knot secondary verifies every message of the stream.
{
  sed -n '1,/^ns1 /p' "$SRC"
  for i in $(seq 3000); do echo "host$i A 198.51.$((i / 250)).$((i % 250))"; echo "host$i TXT \"record $i of the signed transfer test\""; done
} >"$TMP/big.zone"
SECRET=$(head -c 32 /dev/urandom | base64)
cat >"$TMP/signed.json" <<JSON
{"keys": [{"name": "xfr.", "algorithm": "hmac-sha256", "secret": "$SECRET"}],
 "zones": [{"name": "$ZONE.", "file": "$TMP/big.zone", "transfer": {"keys": ["xfr."]}}]}
JSON
start_authority --config "$TMP/signed.json"
out=$("$KDIG" @127.0.0.1 -p "$AUTH_PORT" $ZONE AXFR 2>&1 || true)
grep -q "REFUSED" <<<"$out" || fail "unsigned AXFR was not refused: $out"
KNOT_KEY="hmac-sha256:xfr:$SECRET" start_knotd $ZONE "$TMP/signed-secondary.zone" "127.0.0.1@$AUTH_PORT"
msgs=""
for _ in $(seq 50); do  # the log line may trail the zone becoming answerable
  msgs=$(grep -o 'finished, [0-9.]* seconds, [0-9]* messages' "$KNOT_DIR/knotd.log" | awk '{print $4}' || true)
  [ -n "$msgs" ] && break
  sleep 0.1
done
[ "${msgs:-0}" -gt 1 ] || fail "expected a multi-message transfer, got ${msgs:-none}"
n=$("$KDIG" @127.0.0.1 -p "$KNOT_PORT" $ZONE AXFR +nocomments +nostats | grep -c 'IN')
want=$("$KDIG" @127.0.0.1 -p "$AUTH_PORT" -y "hmac-sha256:xfr:$SECRET" $ZONE AXFR +nocomments +nostats | grep -c '	IN	')
[ "$n" -ge 6000 ] && [ "$n" = "$want" ] || fail "signed transfer: secondary has $n records, primary $want"
echo "signed AXFR: $msgs messages, $n records, every message verified by knotd"
