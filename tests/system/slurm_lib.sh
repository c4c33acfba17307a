# A real single-node Slurm on 127.0.0.1 for the tests: munged, slurmctld and slurmd started in the
# foreground under $TMP, no systemd, no cgroups. Source after lib.sh; start_slurm sets SLURM_CONF.
# Facts from a verified single-node setup: batch_sched_delay=0 and DefMemPerCPU let jobs start at
# once and side by side; slurmstepd ignores TERM, so teardown kills it by its open slurmd.log.

start_slurm() {
  SLURM_DIR="$TMP/slurm"
  chmod 755 "$TMP"  # munged wants every directory above its socket world-executable
  mkdir -p "$SLURM_DIR"/{munge,state,spool,log,jobs}
  chmod 755 "$SLURM_DIR/munge"
  chmod 777 "$SLURM_DIR/jobs"
  dd if=/dev/urandom of="$SLURM_DIR/munge.key" bs=1024 count=1 status=none
  chmod 600 "$SLURM_DIR/munge.key"
  munged --foreground --socket="$SLURM_DIR/munge/munge.socket" --key-file="$SLURM_DIR/munge.key" \
    --pid-file="$SLURM_DIR/munged.pid" --seed-file="$SLURM_DIR/munge.seed" --log-file="$SLURM_DIR/log/munged.log" \
    >/dev/null 2>&1 &
  PIDS+=($!)
  wait_for test -S "$SLURM_DIR/munge/munge.socket" || fail "munged did not start"
  local host mem ctld slurmd
  host=$(hostname -s)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
  ctld=$(free_port)
  slurmd=$(free_port)
  cat >"$SLURM_DIR/slurm.conf" <<CONF
ClusterName=cdnstest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=$ctld
SlurmdPort=$slurmd
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_DIR/munge/munge.socket
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
MpiDefault=none
MinJobAge=300
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=$mem
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$SLURM_DIR/slurm.conf"
  start_slurmctld
  slurmd -D >"$SLURM_DIR/log/slurmd.out" 2>&1 &
  SLURMD_PID=$!
  PIDS+=($SLURMD_PID)
  wait_for sh -c 'sinfo -h -o %t | grep -q idle' || { tail -20 "$SLURM_DIR"/log/*.log; fail "the node did not become idle"; }
  # cleanup must see the test's own exit status (it exits with it), not stop_slurm's.
  trap 'SLURM_TEST_RC=$?; set +e; trap - ERR; stop_slurm; (exit $SLURM_TEST_RC); cleanup' EXIT
}

# slurmctld alone (it recovers its jobs from StateSaveLocation): for tests of a controller outage.
start_slurmctld() {
  slurmctld -D >>"$SLURM_DIR/log/slurmctld.out" 2>&1 &
  SLURMCTLD_PID=$!
  PIDS+=($SLURMCTLD_PID)
  wait_for sh -c 'scontrol ping | grep -q UP' || fail "slurmctld did not come up"
}
stop_slurmctld() {
  kill "$SLURMCTLD_PID"
  wait "$SLURMCTLD_PID" 2>/dev/null || true
}

stop_slurm() {
  [ -n "${SLURM_DIR:-}" ] || return 0
  scancel --quiet --full -u root >/dev/null 2>&1 || true
  for p in /proc/[0-9]*; do
    if ls -l "$p/fd" 2>/dev/null | grep -q "$SLURM_DIR/log/slurmd.log"; then kill -9 "${p#/proc/}" 2>/dev/null || true; fi
  done
}
