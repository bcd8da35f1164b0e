#!/usr/bin/env bash
# The README's Slurm array-job recipe, run on a real (single-node, localhost) Slurm cluster:
# shards of `curvature spectrum` as an array job, `curvature merge`, then `cmp` against unsharded
# runs. Needs root (it installs Debian's slurm-wlm and munge when missing and runs the daemons).
#
#   scripts/slurm-check.sh [path/to/curvature]     (default: .build/release/curvature)
#
# Everything lives in a mktemp -d folder; every daemon started here is stopped on exit.
# Environment: SLURM_CHECK_PORT (slurmctld port, slurmd uses +1; default 6817),
#              SLURM_CHECK_KEEP=1 keeps the temp folder.
set -euo pipefail

# Unsharded thread counts whose output must equal the merged shards byte for byte (the shards run
# with --threads 1); results do not depend on the thread count, so both decide the exit status.
COMPARE_THREADS="1 2"
# Every thread count compared and reported.
REPORT_THREADS="1 2"

# The job: small, but with an unaligned --offset, a ragged last batch and uneven shards.
SHARDS=4
MODEL_NAME=mnist5k-cnn-small-standard.safetensors
DATA=mnist5k
SPECTRUM_ARGS=(--offset 3 --samples 100 --batch-size 8 --method lanczos --k 5 --steps 10)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
start_time=$SECONDS
say() { printf 'slurm-check [%3ds]: %s\n' "$((SECONDS - start_time))" "$*" >&2; }
dump_logs=0 reported=0
die() { dump_logs=1 reported=1; say "FAIL: $*"; echo "slurm-check: FAIL ($*)"; exit 1; }

# --- cleanup: cancel jobs, stop the daemons started here, remove the temp folder ---------------
TMP="" own_policy=""
stop_pidfile() { # name pidfile: TERM, wait up to 10 s, then KILL
    local name=$1 file=$2 pid
    [[ -s $file ]] || return 0
    pid="$(cat "$file")"
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || { say "stopped $name ($pid)"; return 0; }; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    say "killed $name ($pid)"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    set +e
    [[ -n $own_policy ]] && rm -f /usr/sbin/policy-rc.d
    if [[ $status -ne 0 && $reported == 0 ]]; then
        dump_logs=1
        say "FAIL: stopped early (exit $status)"
        echo "slurm-check: FAIL (stopped early, exit $status)"
    fi
    if [[ -z $TMP ]]; then exit "$status"; fi
    if [[ -s $TMP/slurmctld.pid ]] && kill -0 "$(cat "$TMP/slurmctld.pid")" 2>/dev/null; then
        if [[ -n "$(squeue -h -o %i 2>/dev/null)" ]]; then
            say "cancelling remaining jobs"
            scancel --full --user=root >/dev/null 2>&1
            for _ in $(seq 50); do [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break; sleep 0.2; done
        fi
    fi
    stop_pidfile slurmd "$TMP/slurmd.pid"
    stop_pidfile slurmctld "$TMP/slurmctld.pid"
    stop_pidfile munged "$TMP/munged.pid"
    if [[ $dump_logs == 1 ]]; then # a broken setup, not a comparison that failed
        for log in slurmctld.log slurmd.log munged.log; do
            [[ -s $TMP/$log ]] && { say "last lines of $log:"; tail -n 15 "$TMP/$log" >&2; }
        done
        for out in "$TMP"/work/slurm-*.out; do
            [[ -s $out ]] && { say "last lines of $(basename "$out"):"; tail -n 5 "$out" >&2; }
        done
    fi
    if [[ ${SLURM_CHECK_KEEP:-0} == 1 ]]; then say "kept $TMP"; else rm -rf "$TMP"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, runs slurmd as root)"

# --- the binary -----------------------------------------------------------------------------
BIN="${1:-$ROOT/.build/release/curvature}"
if [[ ! -x $BIN && -z ${1:-} ]]; then
    say "building $BIN"
    (cd "$ROOT" && swift build -c release --product curvature) >&2
fi
[[ -x $BIN ]] || die "no executable curvature at $BIN"
BIN="$(cd "$(dirname "$BIN")" && pwd -P)/$(basename "$BIN")"
MODEL="$ROOT/Data/models/$MODEL_NAME"
[[ -f $MODEL ]] || die "missing model $MODEL"
export CURVATURE_DATA="$ROOT/Data"

# --- packages -------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' init scripts from starting system daemons (nothing may be left running).
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
    fi
    install_status=0
    { apt-get update && apt-get install -y --no-install-recommends slurm-wlm munge; } >&2 || install_status=$?
    [[ -n $own_policy ]] && rm -f /usr/sbin/policy-rc.d
    own_policy=""
    [[ $install_status -eq 0 ]] || die "apt-get install slurm-wlm munge failed"
    say "installed"
fi

# --- temp folder ----------------------------------------------------------------------------
TMP="$(mktemp -d -t slurm-check.XXXXXX)"
mkdir -p "$TMP/state" "$TMP/spool" "$TMP/work" "$TMP/munge"
# munged wants its socket's directories searchable by all (o+x); the key stays 0400.
chmod 755 "$TMP" "$TMP/munge"
export SLURM_CONF="$TMP/slurm.conf"
unset SLURM_JOB_ID SLURM_JOBID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_CPUS_PER_TASK

# --- munge ----------------------------------------------------------------------------------
# A private munged with its own key and socket, so a system munged (if any) is left alone.
dd if=/dev/urandom of="$TMP/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$TMP/munge/munge.key"
MUNGE_SOCKET="$TMP/munge/munge.socket"
say "starting munged"
munged --key-file="$TMP/munge/munge.key" --socket="$MUNGE_SOCKET" \
    --pid-file="$TMP/munged.pid" --log-file="$TMP/munged.log" --seed-file="$TMP/munge/munge.seed" \
    || die "munged did not start"
for _ in $(seq 50); do [[ -S $MUNGE_SOCKET && -s $TMP/munged.pid ]] && break; sleep 0.1; done
munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" >/dev/null || die "munge round trip failed"

# --- slurm.conf -----------------------------------------------------------------------------
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(free -m | awk '/^Mem:/ {print $2}')"
# slurmd -C reports what slurmd will register; never configure more than it sees.
detected="$(slurmd -C 2>/dev/null | head -n 1 || true)"
det_cpus="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$detected")"
det_mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$detected")"
[[ -n $det_cpus && $det_cpus -lt $CPUS ]] && CPUS=$det_cpus
[[ -n $det_mem && $det_mem -lt $MEM_MB ]] && MEM_MB=$det_mem
MEM_MB=$((MEM_MB > 1024 ? MEM_MB - 256 : MEM_MB)) # headroom: slurmd rejects more than it finds
PORT="${SLURM_CHECK_PORT:-6817}"
say "node $HOST: CPUs=$CPUS RealMemory=$MEM_MB (slurmd -C: ${detected:-nothing})"

cat >"$SLURM_CONF" <<EOF
ClusterName=curvaturecheck
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool/%n
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/slurmctld.log
SlurmdLogFile=$TMP/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=check Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons --------------------------------------------------------------------------------
say "starting slurmctld"
slurmctld -f "$SLURM_CONF" || die "slurmctld did not start"
for _ in $(seq 100); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
scontrol ping >/dev/null 2>&1 || die "slurmctld does not answer"
say "starting slurmd"
slurmd -f "$SLURM_CONF" -N "$HOST" || die "slurmd did not start"
state=""
for _ in $(seq 120); do
    state="$(sinfo -h -N -n "$HOST" -o %t 2>/dev/null | head -n 1 || true)"
    [[ $state == idle ]] && break
    sleep 0.5
done
[[ $state == idle ]] || die "node $HOST is '${state:-unknown}', not idle"
say "node $HOST idle: $(sinfo -h -N -o '%N %t %c CPUs %m MB' | head -n 1)"

# --- the README's array job (smaller) -------------------------------------------------------
WORK="$TMP/work"
printf -v spectrum_args '%q ' "${SPECTRUM_ARGS[@]}"
cat >"$WORK/spectrum.sbatch" <<EOF
#!/bin/bash
#SBATCH --array=1-$SHARDS
#SBATCH --cpus-per-task=1
#SBATCH --job-name=curvature-spectrum
#SBATCH --output=$WORK/slurm-%A_%a.out
#SBATCH --chdir=$WORK
$(printf '%q' "$BIN") spectrum --model $(printf '%q' "$MODEL") --data $DATA ${spectrum_args}\\
  --threads "\$SLURM_CPUS_PER_TASK" \\
  --shard "\$SLURM_ARRAY_TASK_ID/$SHARDS" --resume --out "part-\$SLURM_ARRAY_TASK_ID.csv"
EOF
say "submitting $SHARDS-task array job"
job_status=0
job_line="$(cd "$WORK" && sbatch --wait "$WORK/spectrum.sbatch")" || job_status=$?
job_id="$(awk '{print $NF}' <<<"$job_line" | head -n 1)"
say "$job_line; sbatch --wait exited $job_status"

# Job states: sacct needs slurmdbd (not set up here), so fall back to the controller's view
# (finished jobs stay there for MinJobAge seconds).
states=""
if states="$(sacct -n -X -P -j "$job_id" -o JobID,State,ExitCode 2>/dev/null)" && [[ -n $states ]]; then
    states="sacct: $(tr '\n' ' ' <<<"$states")"
else
    states="scontrol: $(scontrol -o show job "$job_id" 2>/dev/null \
        | sed -n 's/.*JobId=\([0-9]*\) ArrayJobId=\([0-9]*\) ArrayTaskId=\([0-9]*\).*JobState=\([A-Z_]*\).*ExitCode=\([0-9:]*\).*/\2_\3=\4(\5)/p' \
        | sort -t_ -k2n | tr '\n' ' ')"
fi
say "job states: $states"
[[ $job_status -eq 0 ]] || die "array job $job_id failed (sbatch --wait exit $job_status; $states)"

parts=()
for i in $(seq "$SHARDS"); do
    [[ -s $WORK/part-$i.csv ]] || die "missing $WORK/part-$i.csv"
    parts+=("$WORK/part-$i.csv")
done
"$BIN" merge "${parts[@]}" --out "$WORK/spectrum.csv" 2>"$WORK/merge.log" \
    || { cat "$WORK/merge.log" >&2; die "curvature merge failed"; }
say "merged $SHARDS parts: $(($(wc -l <"$WORK/spectrum.csv") - 1)) rows"

# --- unsharded runs and comparison ----------------------------------------------------------
declare -A result
for t in $REPORT_THREADS; do
    say "unsharded run, --threads $t"
    "$BIN" spectrum --model "$MODEL" --data "$DATA" "${SPECTRUM_ARGS[@]}" --threads "$t" \
        --out "$WORK/unsharded-t$t.csv" 2>"$WORK/unsharded-t$t.log" \
        || { tail -n 5 "$WORK/unsharded-t$t.log" >&2; die "unsharded run with --threads $t failed"; }
    if cmp "$WORK/spectrum.csv" "$WORK/unsharded-t$t.csv" >&2; then
        result[$t]=PASS
    else
        result[$t]=FAIL
        diff "$WORK/spectrum.csv" "$WORK/unsharded-t$t.csv" | head -n 6 >&2 || true
    fi
    say "merged shards (--threads 1) vs unsharded --threads $t: ${result[$t]}"
done

summary=""
failed=""
for t in $REPORT_THREADS; do
    if [[ " $COMPARE_THREADS " == *" $t "* ]]; then
        summary+="threads $t: ${result[$t]}; "
        if [[ ${result[$t]} != PASS ]]; then failed=1; fi
    else
        summary+="threads $t: ${result[$t]} (not required); "
    fi
done
verdict=PASS
[[ -n $failed ]] && verdict=FAIL
reported=1
echo "slurm-check: $verdict — merged $SHARDS-shard Slurm array job $job_id vs unsharded: ${summary% } job states: $states(took $((SECONDS - start_time)) s)"
[[ $verdict == PASS ]]
