# Helpers of the resolver's shell tests (after lib.sh): the compute zone on a cdns-authority, and
# cdns-resolver instances replicating it.

# start_compute_zone ZONEFILE: cdns-authority serving gba.example. from a copy of ZONEFILE.
start_compute_zone() {
  cp "$1" "$TMP/gba.zone"
  cat >"$TMP/auth.json" <<JSON
{"zones": [{"name": "gba.example.", "file": "$TMP/gba.zone", "transfer": {"acl": ["127.0.0.1"]}}]}
JSON
  start_authority --config "$TMP/auth.json"
}

# start_resolver NAME [FORWARD_JSON]: cdns-resolver (RESOLVER) replicating the compute zone from
# the authority, with "forward": FORWARD_JSON when given. Its log is $TMP/NAME.log; sets RP (its
# port) and RES_PID.
start_resolver() {
  local name=$1 forward=""
  [ -n "${2:-}" ] && forward=", \"forward\": $2"
  cat >"$TMP/$name.json" <<JSON
{"listen": ["127.0.0.1:0"], "zones": [{"name": "gba.example.", "primaries": ["127.0.0.1:$AUTH_PORT"]}],
 "ttl": 5, "chains": {"default": {"policies": [{"name": "fits"}, {"name": "load"}]},
                      "price": {"policies": [{"name": "fits"}, {"name": "price"}]}}
 $forward}
JSON
  "$RESOLVER" --config "$TMP/$name.json" --ready-file "$TMP/$name.ready" >"$TMP/$name.log" 2>&1 &
  RES_PID=$!
  PIDS+=("$RES_PID")
  for _ in $(seq 100); do [ -s "$TMP/$name.ready" ] && break; sleep 0.1; done
  [ -s "$TMP/$name.ready" ] || fail "cdns-resolver $name did not start"
  RP=$(awk '$1=="udp"{print $3}' "$TMP/$name.ready")
}

# stop_clean PID NAME: SIGTERM, and the exit status must be 0.
stop_clean() {
  kill -TERM "$1"
  local rc=0
  wait "$1" || rc=$?
  [ "$rc" = 0 ] || fail "$2 exited with status $rc on SIGTERM"
}
