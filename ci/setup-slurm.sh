#!/usr/bin/env bash
# A one-node Slurm cluster for the Slurm executor's tests: Debian's slurm-wlm (22.05) and munge,
# with munged, slurmctld and slurmd on loopback, every file (config, keys, sockets, state,
# spool, logs, pid files) under a directory of the caller's, so nothing of a system Slurm or
# munge is used or touched. No cgroups are assumed: processes are tracked by /proc
# (proctrack/linuxproc) and tasks are not confined (task/none).
#
#   ci/setup-slurm.sh [install]      idempotent apt install (ci/setup-deps.sh)
#   ci/setup-slurm.sh start DIR      writes DIR/, starts the daemons, waits for the node to be
#                                    idle; prints DIR/env (SLURM_CONF, the munge socket)
#   ci/setup-slurm.sh check DIR      srun, sbatch, squeue and scancel against it
#   ci/setup-slurm.sh stop DIR       stops the daemons; does nothing for those not running,
#                                    so it fits `trap '... stop "$dir"' EXIT`
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {
  local dir=$1 host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2))
  cat >"$dir/slurm.conf" <<EOF
ClusterName=tmgt-ci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
KillWait=2
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munge() {
  local m=$1/munge
  mkdir -p "$m"
  chmod 0755 "$m" # the socket's directory: munged insists on others' execute bit
  [[ -f $m/munge.key ]] || { head -c 1024 /dev/urandom >"$m/munge.key"; chmod 0400 "$m/munge.key"; }
  munged --socket="$m/munge.socket" --key-file="$m/munge.key" --pid-file="$m/munged.pid" \
    --log-file="$m/munged.log" --seed-file="$m/munged.seed"
}

wait_for() { # seconds, then a command that succeeds once ready
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

node_idle() { [[ $(sinfo -h -N -o %t) == idle ]]; }

start() {
  local dir
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  mkdir -p "$dir/state" "$dir/spool"
  write_config "$dir"
  export SLURM_CONF=$dir/slurm.conf
  start_munge "$dir"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  if ! wait_for 30 node_idle; then
    echo "setup-slurm: the node did not become idle; the daemons' last words:" >&2
    tail -n 20 "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/munge/munged.log >&2 || true
    return 1
  fi
  printf 'SLURM_CONF=%s\n' "$SLURM_CONF" >"$dir/env"
  cat "$dir/env"
}

check() {
  local dir job
  dir=$(cd "$1" && pwd)
  export SLURM_CONF=$dir/slurm.conf
  srun -N1 true
  [[ $(srun -N1 -n1 sh -c 'echo $SLURM_JOB_ID:$SLURM_STEP_ID') =~ ^[0-9]+:0$ ]]
  job=$(sbatch --parsable -o "$dir/job-%j.out" --wrap 'echo batch ran; sleep 600')
  wait_for 20 eval "squeue -h -j $job -o %T | grep -qx RUNNING"
  scancel "$job"
  wait_for 20 eval "[[ -z \$(squeue -h -j $job -o %T) ]]"
  grep -qx 'batch ran' "$dir/job-$job.out"
  echo "setup-slurm: srun, sbatch, squeue and scancel work"
}

stop_pidfile() {
  local file=$1 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
  # A daemon that exits may linger as a zombie until init reaps it: gone from /proc's
  # running states is enough.
  wait_for 10 eval "! grep -qs '^State:.*[RSD]' /proc/$pid/status" || echo "setup-slurm: $pid did not stop" >&2
  rm -f "$file"
}

stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
}

case ${1:-install} in
  install) ci/setup-deps.sh slurm-wlm munge ;;
  start | check | stop)
    (($# == 2)) || { echo "usage: $0 $1 DIR" >&2; exit 2; }
    "$1" "$2" ;;
  *) echo "usage: $0 [install | start DIR | check DIR | stop DIR]" >&2; exit 2 ;;
esac
