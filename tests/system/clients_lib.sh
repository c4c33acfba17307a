# Helpers for the client tools' system tests: a compute zone served by cdns-authority, a
# cdns-resolver replicating it, relays (local backend) published in it by SRV, and running
# cdns-submit (sub, want).
# Needs lib.sh and relay_lib.sh; CDNS_AUTHORITY, CDNS_RESOLVER, CDNS_RELAY set.

# start_relay_at NAME [tls]: a relay for center NAME in $TMP/NAME (TLS with a certificate for
# relay.NAME.centers.gba.example when asked); sets <NAME>_PORT and <NAME>_URL.
start_relay_at() {
  local name=$1 tls=${2:-} dir="$TMP/$1"
  mkdir -p "$dir"
  chmod 755 "$TMP" "$dir"
  local tlsconf=""
  if [ -n "$tls" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
      -subj "/CN=relay.$name.centers.gba.example" -addext "subjectAltName=DNS:relay.$name.centers.gba.example" >/dev/null 2>&1
    tlsconf='"tls": {"cert": "cert.pem", "key": "key.pem"},'
  fi
  cat >"$dir/relay.json" <<JSON
{"listen": "127.0.0.1:0", $tlsconf "key_file": "../relay.key", "state_dir": "state",
 "users": {"alice": "cdnsjob"}, "limits": {"cpus": 4, "gpus": 8, "memory": "4G", "time_limit": 600}}
JSON
  local ready="$dir/ready"
  "$CDNS_RELAY" --config "$dir/relay.json" --ready-file "$ready" >>"$TMP/relay-$name.log" 2>&1 &
  PIDS+=($!)
  await_ready "$ready" "cdns-relay for $name"
  local port; port=$(awk '$1=="http" || $1=="https" {print $3; exit}' "$ready")
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_URL" '%s' "$(awk '$1=="http" || $1=="https" {print $1; exit}' "$ready")://127.0.0.1:$port"
}

# start_compute ZONEFILE EXTRA_ZONE_LINES: the authority serving ZONEFILE plus the extra lines,
# and a resolver replicating it with chains default (fits, load), price (fits, price) and pick
# (manual, fits, load). Sets AUTH_PORT and RES_PORT.
start_compute() {
  cp "$1" "$TMP/gba.zone"
  printf '%s\n' "$2" >>"$TMP/gba.zone"
  start_authority --zone "gba.example=$TMP/gba.zone" --allow-transfer 127.0.0.1
  cat >"$TMP/res.json" <<JSON
{"listen": ["127.0.0.1:0"], "zones": [{"name": "gba.example.", "primaries": ["127.0.0.1:$AUTH_PORT"]}],
 "ttl": 5,
 "chains": {"default": {"policies": [{"name": "fits"}, {"name": "load"}]},
            "price": {"policies": [{"name": "fits"}, {"name": "price"}]},
            "pick": {"policies": [{"name": "manual"}, {"name": "fits"}, {"name": "load"}]}},
 "services": {"infer": "default", "train": "default"}}
JSON
  start_resolver "$TMP/res.json"
  # The replica is loaded once a service name is answered.
  wait_for sh -c "dig @127.0.0.1 -p $RES_PORT +short +time=1 +tries=1 infer.svc.gba.example A | grep -q ." ||
    fail "the resolver does not answer infer.svc.gba.example"
}

# sub ARGS...: runs cdns-submit ($SUBMIT), bounded to SUBMIT_TIMEOUT seconds (60); sets RC, OUT, ERR.
sub() {
  RC=0
  timeout "${SUBMIT_TIMEOUT:-60}" "$SUBMIT" "$@" >"$TMP/out" 2>"$TMP/err" || RC=$?
  OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
}
# want WHAT RC SUBSTRING_OF_STDERR: the last sub's exit status and standard error.
want() {
  [ "$RC" = "$2" ] || fail "$1: exit status $RC, want $2; stdout: $OUT; stderr: $ERR"
  [[ "$ERR" == *"$3"* ]] || fail "$1: standard error lacks '$3': $ERR"
}
