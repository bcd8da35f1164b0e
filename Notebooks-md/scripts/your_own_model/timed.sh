# Sourced by the notebook-06 scripts (from the repository root, with OUT set).
# timed NAME COMMAND…: runs the command, echoing it, and appends its wall time and the load
# average to $OUT/times.txt (the notebooks quote both: the machine is shared).
timed() {
    local name=$1 start end
    shift
    echo "+ $*" >&2
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    printf '%s %.1f s wall (load %s)\n' "$name" "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/times.txt" >&2
}
