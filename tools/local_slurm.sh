#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for the tests and for trying the cluster path:
# munged, slurmctld and slurmd from Debian's packages (make deps-slurm), with the
# machine's CPUs and memory, everything under one folder.
#
#   tools/local_slurm.sh up       start it (idempotent: a running cluster is left as it is)
#   tools/local_slurm.sh down     stop what `up` started (nothing else), keep the folder
#   tools/local_slurm.sh status   say whether it runs
#   tools/local_slurm.sh env      print the export line for sbatch/squeue/scontrol
#
# Folder: $MST_SLURM_DIR (default /tmp/mst-slurm): slurm.conf, its own munge key and
# socket, state, spool, logs and pid files. Ports 16817/16818 (MST_SLURM_PORT to move them),
# so a system Slurm or munge is never touched. Client commands need
#   export SLURM_CONF=$MST_SLURM_DIR/slurm.conf
#
# Exit codes: 0 done; 3 Slurm cannot run on this machine (packages missing, or the daemons
# do not come up: the reason is printed and the logs are named); 2 bad usage.
set -euo pipefail

DIR="${MST_SLURM_DIR:-/tmp/mst-slurm}"
PORT="${MST_SLURM_PORT:-16817}"
CONF="$DIR/slurm.conf"
NODE="$(hostname -s 2>/dev/null || echo localhost)"

cannot() {
  echo "local_slurm: cannot run Slurm here: $*" >&2
  exit 3
}

alive() {  # pid file -> running?
  [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

running() {
  alive "$DIR/munged.pid" && alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid" &&
    SLURM_CONF="$CONF" scontrol ping 2>/dev/null | grep -q UP
}

write_conf() {
  local cpus mem
  cpus="$(nproc)"
  mem="$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)"
  cat >"$CONF" <<EOF
# Written by tools/local_slurm.sh: a one-node cluster on localhost.
ClusterName=mstlocal
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
SchedulerParameters=kill_invalid_depend
MinJobAge=60
KillWait=10
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

up() {
  for b in munged slurmctld slurmd sbatch squeue scontrol; do
    command -v "$b" >/dev/null || cannot "'$b' not found (install with: make deps-slurm)"
  done
  if running; then
    echo "local_slurm: already running ($CONF)"
    return 0
  fi
  down >/dev/null 2>&1 || true
  mkdir -p "$DIR/state" "$DIR/spool"
  chmod 700 "$DIR"
  if [[ ! -f "$DIR/munge.key" ]]; then
    dd if=/dev/urandom of="$DIR/munge.key" bs=1024 count=1 status=none
    chmod 400 "$DIR/munge.key"
  fi
  write_conf
  munged --force --key-file="$DIR/munge.key" --socket="$DIR/munge.socket" --pid-file="$DIR/munged.pid" \
    --log-file="$DIR/munged.log" --seed-file="$DIR/munge.seed" ||
    cannot "munged did not start (see $DIR/munged.log)"
  SLURM_CONF="$CONF" slurmctld -c -f "$CONF" || cannot "slurmctld did not start (see $DIR/slurmctld.log)"
  SLURM_CONF="$CONF" slurmd -f "$CONF" -N "$NODE" || cannot "slurmd did not start (see $DIR/slurmd.log)"
  for _ in $(seq 1 60); do
    if running && SLURM_CONF="$CONF" sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
      echo "local_slurm: up on $NODE with $(nproc) CPUs ($CONF)"
      return 0
    fi
    sleep 0.5
  done
  local why
  why="$(tail -n 3 "$DIR/slurmd.log" "$DIR/slurmctld.log" 2>/dev/null | tr '\n' ' ')"
  down >/dev/null 2>&1 || true
  cannot "the node did not become idle within 30 s: $why"
}

down() {
  local stopped=0
  for d in slurmd slurmctld munged; do
    if alive "$DIR/$d.pid"; then
      kill "$(cat "$DIR/$d.pid")" 2>/dev/null || true
      stopped=1
    fi
  done
  for d in slurmd slurmctld munged; do
    for _ in $(seq 1 40); do
      alive "$DIR/$d.pid" || break
      sleep 0.25
    done
    if alive "$DIR/$d.pid"; then kill -9 "$(cat "$DIR/$d.pid")" 2>/dev/null || true; fi
    rm -f "$DIR/$d.pid"
  done
  [[ $stopped == 1 ]] && echo "local_slurm: stopped" || echo "local_slurm: was not running"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if running; then echo "local_slurm: running ($CONF)"; else echo "local_slurm: not running"; exit 1; fi ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: tools/local_slurm.sh up|down|status|env" >&2; exit 2 ;;
esac
