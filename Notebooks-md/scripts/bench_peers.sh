#!/usr/bin/env bash
# bench_peers.sh: Curvature's input-HVP speed against its peers (PyTorch, JAX), in one run.
#
#   Notebooks-md/scripts/bench_peers.sh [--quick] [--threads 1,2] [--loaded] [--training] [--md report.md]
#
# Installs what is missing (python3-torch, GNU time, a JAX venv), builds Curvature in release,
# measures the machine (CPU model, cores, vector extensions, OpenBLAS's core type and config, and
# OpenBLAS's SGEMM rate at each thread count, via bench/machine_facts.py), then for each thread
# count and each workload (mlp B=1, mlp B=128, cnn B=1, cnn B=128, resnet18 B=32) runs
# Curvature's `bench hvp`, the PyTorch peer (peers/torch_hvp.py) and the JAX peer
# (peers/jax_hvp.py) back to back, round after round (the order of the three rotates from round
# to round), so drift of the machine's load hits all three alike. Every tool reports the median
# of its own timed repeats; the tables show the median over the rounds. Peak RSS
# (/usr/bin/time -f %M) is measured for every cnn B=128 run.
# --loaded repeats the same rounds while one competing busy process takes a core, and reports
# each tool's kept share (loaded ÷ idle HVP/s). --training times one epoch of each training mode
# with `curvature train` and with torch_train.py (beside this script).
# Prints one Markdown report on stdout (bench/report.py; progress on stderr), the machine's
# facts above every table and the issue's targets at the end; --csv writes the idle rows in
# long format for bench_chart.gp.
#
# Options
#   --quick              only B=128, Curvature --repeats 5, one round (for validation)
#   --threads LIST       comma-separated thread counts (default 2)
#   --runs N             rounds: each tool runs N times per workload (default 3; 1 with --quick)
#   --repeats R          Curvature's timed repeats per run, ≥ 5 (default 7; 5 with --quick)
#   --workloads LIST     e.g. mlp:1,cnn:128 (default mlp:1,mlp:128,cnn:1,cnn:128,resnet18:32;
#                        models mlp, cnn, resnet18)
#   --tools LIST         subset of curvature,jax,pytorch (default all three)
#   --loaded             after the idle rounds, the same rounds with one busy process (`yes`)
#   --training           one training epoch per mode, Curvature against PyTorch (torch_train.py)
#   --training-modes L   modes for --training (default standard,fgsm,pgd,cure)
#   --train-samples N    training images per epoch for --training (default 10000)
#   --csv FILE           idle rows workload,threads,tool,grad_per_s,hvp_per_s,peak_rss_mb
#   --raw FILE           every single run: round,phase,workload,threads,tool,grad_ms,hvp_ms,hvp_per_s,peak_rss_mb
#   --md FILE            also write the Markdown report to FILE
#   --peers DIR          where torch_hvp.py and jax_hvp.py are (default: peers/ beside this
#                        script; or $PEERS_DIR)
#   --scratch-path DIR   SwiftPM build folder (default .build, or .build-peers when .build is locked
#                        by another SwiftPM process)
#   --no-build           do not build; use the existing release binary (or --curvature BIN)
#   --curvature BIN      the curvature binary to benchmark (implies --no-build)
#   --sgemm-gflops G     2-thread SGEMM rate for the "% of sgemm bound" column instead of measuring
#                        it (scaled by T/2 for T threads)
#   --no-install         never call apt-get or pip; fail if something is missing
# Environment: JAX_VENV (default $HOME/.cache/curvature-jax), PEERS_DIR. OPENBLAS_CORETYPE is
# reported when set, never set here.
#
# FLOP per sample HVP = 2 × MACs of the passes an HVP needs (forward, tangent forward and backward;
# for the softplus mlp also the primal backward above the input): mlp 4,546,560; cnn 83,303,424;
# resnet18 3,332,536,320 (the sums are in bench/report.py). The bound in HVP/s is SGEMM GFLOP/s ·
# 1e9 ÷ FLOP.
set -euo pipefail

# Curvature runs the kernel set it picks for itself (README: OpenBLAS), as a user's run does;
# CURVATURE_NATIVE_BLAS=1 in the caller's environment measures the CPU's fastest set instead.

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
BENCH_DIR="$SCRIPT_DIR/bench"

quick=0; threads_list=2; runs=""; repeats=""; workloads=""; tools="curvature,jax,pytorch"
csv=""; raw=""; md=""; peers="${PEERS_DIR:-}"; scratch=""; build=1; curvature_bin=""
sgemm_gflops=""; install=1; loaded=0; training=0; training_modes="standard,fgsm,pgd,cure"; train_samples=10000
JAX_VENV=${JAX_VENV:-$HOME/.cache/curvature-jax}

die() { echo "bench_peers.sh: $*" >&2; exit 1; }
note() { echo "bench_peers.sh: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --threads) threads_list=${2:?--threads needs a value}; shift ;;
        --runs) runs=${2:?--runs needs a value}; shift ;;
        --repeats) repeats=${2:?--repeats needs a value}; shift ;;
        --workloads) workloads=${2:?--workloads needs a value}; shift ;;
        --tools) tools=${2:?--tools needs a value}; shift ;;
        --loaded) loaded=1 ;;
        --training) training=1 ;;
        --training-modes) training_modes=${2:?--training-modes needs a value}; shift ;;
        --train-samples) train_samples=${2:?--train-samples needs a value}; shift ;;
        --csv) csv=${2:?--csv needs a file}; shift ;;
        --raw) raw=${2:?--raw needs a file}; shift ;;
        --md) md=${2:?--md needs a file}; shift ;;
        --peers) peers=${2:?--peers needs a directory}; shift ;;
        --scratch-path) scratch=${2:?--scratch-path needs a directory}; shift ;;
        --no-build) build=0 ;;
        --curvature) curvature_bin=${2:?--curvature needs a file}; build=0; shift ;;
        --sgemm-gflops) sgemm_gflops=${2:?--sgemm-gflops needs a value}; shift ;;
        --no-install) install=0 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

if [ "$quick" = 1 ]; then
    : "${runs:=1}" "${repeats:=5}" "${workloads:=mlp:128,cnn:128}"
else
    : "${runs:=3}" "${repeats:=7}" "${workloads:=mlp:1,mlp:128,cnn:1,cnn:128,resnet18:32}"
fi
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$runs'"
[[ "$repeats" =~ ^[0-9]+$ ]] && [ "$repeats" -ge 5 ] || die "--repeats must be ≥ 5, got '$repeats'"
[[ "$threads_list" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads must be like 2 or 1,2, got '$threads_list'"
[[ "$workloads" =~ ^(mlp|cnn|resnet18):[1-9][0-9]*(,(mlp|cnn|resnet18):[1-9][0-9]*)*$ ]] \
    || die "--workloads must be like mlp:1,cnn:128,resnet18:32, got '$workloads'"
[ -z "$sgemm_gflops" ] || [[ "$sgemm_gflops" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--sgemm-gflops must be a number, got '$sgemm_gflops'"
[[ "$training_modes" =~ ^(standard|fgsm|pgd|cure)(,(standard|fgsm|pgd|cure))*$ ]] \
    || die "--training-modes must be a comma-separated subset of standard,fgsm,pgd,cure, got '$training_modes'"
[[ "$train_samples" =~ ^[1-9][0-9]*$ ]] || die "--train-samples must be a positive integer, got '$train_samples'"
IFS=, read -r -a THREADS <<<"$threads_list"
IFS=, read -r -a WORKLOADS <<<"$workloads"
IFS=, read -r -a TOOLS <<<"$tools"
IFS=, read -r -a MODES <<<"$training_modes"
for t in "${TOOLS[@]}"; do
    case "$t" in curvature|jax|pytorch) ;; *) die "--tools: unknown tool '$t' (curvature, jax, pytorch)" ;; esac
done
has_tool() { [[ ",$tools," == *",$1,"* ]]; }
if [ "$training" = 1 ] && ! { has_tool curvature && has_tool pytorch; }; then
    die "--training compares curvature with pytorch; keep both in --tools"
fi
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    note "warning: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE is set in the environment (this script never sets it)"
fi
for helper in machine_facts.py report.py; do
    [ -f "$BENCH_DIR/$helper" ] || die "missing $BENCH_DIR/$helper (it comes with this script)"
done
if [ "$training" = 1 ]; then
    [ -f "$SCRIPT_DIR/torch_train.py" ] || die "--training needs $SCRIPT_DIR/torch_train.py"
fi

# MARK: Peers
if [ -z "$peers" ]; then
    if [ -f "$SCRIPT_DIR/peers/torch_hvp.py" ]; then peers="$SCRIPT_DIR/peers"; fi
fi
if has_tool pytorch || has_tool jax; then
    [ -n "$peers" ] && [ -f "$peers/torch_hvp.py" ] && [ -f "$peers/jax_hvp.py" ] \
        || die "cannot find torch_hvp.py and jax_hvp.py (tried ${peers:-$SCRIPT_DIR/peers}); pass --peers DIR"
    peers=$(cd "$peers" && pwd)
fi

# MARK: Install what is missing
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }
apt_install() {
    [ "$install" = 1 ] || die "$1 is missing and --no-install was given"
    note "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 \
        || { as_root apt-get update >&2 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2; } \
        || die "apt-get install $* failed"
}
# /usr/bin/python3 also measures the machine and writes the report, so it is needed in every case.
[ -x /usr/bin/python3 ] || apt_install python3
if { has_tool pytorch || [ "$training" = 1 ]; } && ! /usr/bin/python3 -c "import torch" 2>/dev/null; then apt_install python3-torch; fi
/usr/bin/python3 -c "import ctypes; ctypes.CDLL('libopenblas.so.0')" 2>/dev/null || apt_install libopenblas0
[ -x /usr/bin/time ] || apt_install time
command -v taskset >/dev/null || apt_install util-linux
command -v lscpu >/dev/null || apt_install util-linux
if has_tool jax && ! "$JAX_VENV/bin/python" -c "import jax" 2>/dev/null; then
    [ "$install" = 1 ] || die "no JAX in $JAX_VENV and --no-install was given"
    note "creating a JAX venv in $JAX_VENV"
    mkdir -p "$(dirname "$JAX_VENV")"
    { python3 -m venv "$JAX_VENV" && "$JAX_VENV/bin/pip" install jax; } >&2 || die "could not install jax into $JAX_VENV"
fi
if [ "$training" = 1 ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then apt_install dataset-fashion-mnist; fi

# MARK: Build Curvature
case "$scratch" in ""|/*) ;; *) scratch="$PWD/$scratch" ;; esac
if [ -z "$curvature_bin" ]; then
    if [ -z "$scratch" ]; then
        scratch="$ROOT/.build"
        # SwiftPM holds an exclusive flock on <scratch>/.lock while it works there.
        if [ -f "$scratch/.lock" ] && command -v flock >/dev/null && ! flock -n "$scratch/.lock" true; then
            note "$scratch is in use by another SwiftPM process; building in $ROOT/.build-peers"
            scratch="$ROOT/.build-peers"
        fi
    fi
    if [ "$build" = 1 ] && has_tool curvature; then
        note "building curvature (release) in $scratch"
        (cd "$ROOT" && swift build -c release --product curvature --scratch-path "$scratch") >&2 || die "swift build failed"
    fi
    curvature_bin="$scratch/release/curvature"  # SwiftPM's symlink to <triple>/release
fi
if has_tool curvature; then
    [ -x "$curvature_bin" ] || die "no curvature binary at $curvature_bin (build it, or pass --curvature BIN)"
    curvature_bin=$(cd "$(dirname "$curvature_bin")" && pwd)/$(basename "$curvature_bin")
fi

# MARK: Scratch space, and the busy process of --loaded, cleaned up however the script ends
work=$(mktemp -d "${TMPDIR:-/tmp}/bench_peers.XXXXXX")
busy_pid=""
stop_busy() {
    if [ -n "$busy_pid" ]; then kill "$busy_pid" 2>/dev/null || true; wait "$busy_pid" 2>/dev/null || true; busy_pid=""; fi
}
cleanup() { stop_busy; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# MARK: The machine, measured
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
now() { date '+%Y-%m-%d %H:%M:%S %Z'; }
facts="$work/facts.tsv"
/usr/bin/python3 "$BENCH_DIR/machine_facts.py" facts >"$facts" || die "machine_facts.py failed"
{
    if has_tool curvature; then
        printf 'curvature\t%s (%s)\n' "$(basename "$curvature_bin")" \
            "$(git -C "$(dirname "$curvature_bin")" rev-parse --short HEAD 2>/dev/null || git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    fi
    if has_tool pytorch || [ "$training" = 1 ]; then
        printf 'pytorch\t%s\n' "$(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null)"
    fi
    if has_tool jax; then
        printf 'jax\t%s\n' "$("$JAX_VENV/bin/python" -c 'import jax, jaxlib; print(jax.__version__, "jaxlib", jaxlib.__version__)' 2>/dev/null)"
    fi
    printf 'threads\t%s (Curvature --threads, OPENBLAS/OMP/MKL_NUM_THREADS, torch.set_num_threads, XLA flags)\n' "$threads_list"
} >>"$facts"
# The bound is the SGEMM of the kernel set Curvature runs (it switches OpenBLAS to a set whose
# GEMMs round the same way for any batch and thread count, README), so the measurement uses that
# set too (the peers' own choices are reported by machine_facts).
curvature_core=""
if has_tool curvature; then
    curvature_core=$("$curvature_bin" bench hvp --model mlp --batch 1 --repeats 5 --threads 1 | tail -n 1 | cut -d, -f7)
    printf 'curvature kernels	OpenBLAS %s (as bench hvp reports it; the SGEMM bound below is measured with it)\n' "${curvature_core:-unknown}" >>"$facts"
fi
sgemm=""
for threads in "${THREADS[@]}"; do
    if [ -n "$sgemm_gflops" ]; then
        g=$(awk -v g="$sgemm_gflops" -v t="$threads" 'BEGIN { printf "%.1f", g * t / 2 }')
    else
        note "measuring OpenBLAS SGEMM with $threads thread(s)"
        g=$(env ${curvature_core:+OPENBLAS_CORETYPE=$curvature_core} OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 "$BENCH_DIR/machine_facts.py" sgemm "$threads") \
            || die "SGEMM measurement failed (pass --sgemm-gflops G to skip it)"
    fi
    sgemm+="${sgemm:+,}$threads=$g"
done
[ -z "$sgemm_gflops" ] || printf 'sgemm\tgiven by --sgemm-gflops %s (2 threads), not measured\n' "$sgemm_gflops" >>"$facts"
sed 's/\t/: /; s/^/bench_peers.sh: /' "$facts" >&2
note "SGEMM GFLOP/s per thread count: $sgemm"

# MARK: One workload of one tool, in its own process
raw_rows="$work/runs.csv"
echo "round,phase,workload,threads,tool,grad_ms,hvp_ms,hvp_per_s,peak_rss_mb" >"$raw_rows"

# run_tool PHASE ROUND TOOL MODEL BATCH THREADS: appends one row to $raw_rows (or warns).
run_tool() {
    local phase=$1 round=$2 tool=$3 model=$4 batch=$5 threads=$6
    local out="$work/out.txt" err="$work/err.txt" rss="$work/rss.txt"
    local -a cmd timer=()
    case "$tool" in
        curvature) cmd=("$curvature_bin" bench hvp --model "$model" --batch "$batch" --threads "$threads" --repeats "$repeats") ;;
        pytorch) cmd=(/usr/bin/python3 "$peers/torch_hvp.py" "$threads" "$model" "$batch") ;;
        jax)
            cmd=("$JAX_VENV/bin/python" "$peers/jax_hvp.py" "$threads" "$model" "$batch")
            # XLA's flags alone do not keep it on one core.
            if [ "$threads" = 1 ]; then cmd=(taskset -c 0 "${cmd[@]}"); fi ;;
    esac
    local measure_rss=0
    if [ "$phase" = idle ] && [ "$model" = cnn ] && [ "$batch" = 128 ]; then measure_rss=1; timer=(/usr/bin/time -f %M -o "$rss"); fi
    rm -f "$rss"
    if ! env OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
            TF_CPP_MIN_LOG_LEVEL=2 JAX_PLATFORMS=cpu "${timer[@]}" "${cmd[@]}" >"$out" 2>"$err"; then
        note "warning: $tool $model B=$batch threads=$threads failed:"; tail -n 5 "$err" >&2
        return 0
    fi
    local row
    row=$(awk -F, -v m="$model" -v t="$threads" -v b="$batch" '$1 == m && $2 == t && $3 == b { print; exit }' "$out")
    if [ -z "$row" ]; then
        note "warning: $tool printed no row for $model,$threads,$batch:"; tail -n 5 "$out" "$err" >&2
        return 0
    fi
    local mb=""
    if [ "$measure_rss" = 1 ] && [ -s "$rss" ]; then mb=$(awk 'END { printf "%.1f", $1 / 1024 }' "$rss"); fi
    # Newer `bench hvp` appends the OpenBLAS core it ran with (it may pick one itself when OpenBLAS
    # falls back to generic kernels): keep it for the report, since it can differ from machine_facts'.
    local grad_ms hvp_ms hvp_per_s core
    IFS=, read -r _ _ _ grad_ms hvp_ms hvp_per_s core _ <<<"$row"
    if [ "$tool" = curvature ] && [ -n "$core" ]; then echo "$core" >>"$work/curvature_cores.txt"; fi
    echo "$round,$phase,$model B=$batch,$threads,$tool,$grad_ms,$hvp_ms,$hvp_per_s,$mb" >>"$raw_rows"
    note "  $phase round $round  $(printf '%-9s' "$tool") $model B=$batch T=$threads: grad ${grad_ms} ms, HVP ${hvp_ms} ms, ${hvp_per_s} HVP/s${mb:+, peak RSS $mb MiB}"
}

# MARK: The runs, interleaved per workload
phases="$work/phases.tsv"
: >"$phases"
rounds() {
    local phase=$1 round order i threads workload tool
    for ((round = 1; round <= runs; round++)); do
        # Rotate the tools' order from round to round, so none always runs first after a change of workload.
        order=()
        for ((i = 0; i < ${#TOOLS[@]}; i++)); do order+=("${TOOLS[$(((i + round - 1) % ${#TOOLS[@]}))]}"); done
        for threads in "${THREADS[@]}"; do
            for workload in "${WORKLOADS[@]}"; do
                for tool in "${order[@]}"; do run_tool "$phase" "$round" "$tool" "${workload%%:*}" "${workload##*:}" "$threads"; done
            done
        done
    done
}
phase() {  # phase NAME COMMAND…: runs the command, recording date and load average around it
    local name=$1 date before; shift
    date=$(now); before=$(loadavg)
    note "$name: threads ${threads_list}; ${runs} round(s); started $date; load average $before"
    "$@"
    printf '%s\t%s\t%s\t%s\n' "$name" "$date" "$before" "$(loadavg)" >>"$phases"
}

phase idle rounds idle

if [ "$loaded" = 1 ]; then
    # One competitor that wants a whole core, left to the scheduler (not pinned), as another job would be.
    yes >/dev/null &
    busy_pid=$!
    note "loaded: busy process $busy_pid (yes > /dev/null) started"
    phase loaded rounds loaded
    stop_busy
    note "loaded: busy process stopped"
fi

# MARK: Training epochs, Curvature against PyTorch
train_one() {  # train_one ROUND MODE THREADS TOOL: appends one row to training.csv (or warns)
    local round=$1 mode=$2 threads=$3 tool=$4 out="$work/train.out" err="$work/train.err" seconds
    local -a cure=()
    if [ "$mode" = cure ]; then cure=(--lambda 4 --h 3); fi  # the recipe of 05-performance.md
    rm -f "$work/train/"*
    if [ "$tool" = curvature ]; then
        env OPENBLAS_NUM_THREADS="$threads" "$curvature_bin" train --data "$work/fmnist" --arch cnn-small --mode "$mode" \
            --epochs 1 --train-samples "$train_samples" --batch-size 128 --optimizer adam --lr 1e-3 --robust-samples 0 \
            --threads "$threads" "${cure[@]}" --out "$work/train/$mode.safetensors" >"$out" 2>"$err" \
            || { note "warning: curvature train --mode $mode failed:"; tail -n 5 "$err" >&2; return 0; }
        # epoch,…,seconds,training_seconds: the optimiser steps alone, as torch_train.py times them
        # (seconds adds the evaluation on the test split, 100 images here).
        seconds=$(awk -F, '$1 == 1 { print $8; exit }' "$out")
    else
        env OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
            /usr/bin/python3 "$SCRIPT_DIR/torch_train.py" --data "$work/fmnist" --arch cnn-small --mode "$mode" \
            --epochs 1 --limit "$train_samples" --test-limit 100 --batch-size 128 --lr 1e-3 --threads "$threads" \
            "${cure[@]}" >"$out" 2>"$err" \
            || { note "warning: torch_train.py --mode $mode failed:"; tail -n 5 "$err" >&2; return 0; }
        seconds=$(awk -F, '$1 == 1 { print $6; exit }' "$out")  # epoch,loss,penalty,train_acc,test_acc,seconds,…
    fi
    if ! [[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]]; then
        note "warning: $tool $mode printed no epoch time:"; tail -n 3 "$out" "$err" >&2; return 0
    fi
    echo "$round,$mode,$threads,$tool,$train_samples,$seconds" >>"$work/training.csv"
    note "  training round $round  $(printf '%-9s' "$tool") $mode T=$threads: $seconds s/epoch"
}
training_rounds() {
    local round mode threads tool order
    for ((round = 1; round <= runs; round++)); do
        for mode in "${MODES[@]}"; do
            for threads in "${THREADS[@]}"; do
                # Alternate which tool goes first, as for the HVP rounds.
                if ((round % 2)); then order=(curvature pytorch); else order=(pytorch curvature); fi
                for tool in "${order[@]}"; do train_one "$round" "$mode" "$threads" "$tool"; done
            done
        done
    done
}
if [ "$training" = 1 ]; then
    # Both tools read one folder: the training split as installed, and a 100-image test split, so
    # the clean test pass inside Curvature's epoch time costs milliseconds.
    mkdir -p "$work/fmnist" "$work/train"
    /usr/bin/python3 - "$work/fmnist" <<'PY' || die "could not prepare the Fashion-MNIST folder"
import gzip, os, sys
source, target, keep = "/usr/share/datasets/fashion-mnist", sys.argv[1], 100
for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
    raw = os.path.join(source, name)
    path = raw if os.path.exists(raw) else raw + ".gz"
    os.symlink(path, os.path.join(target, os.path.basename(path)))
for name, header, item in (("t10k-images-idx3-ubyte", 16, 784), ("t10k-labels-idx1-ubyte", 8, 1)):
    raw = os.path.join(source, name)
    data = open(raw, "rb").read() if os.path.exists(raw) else gzip.open(raw + ".gz").read()
    head = bytearray(data[:header])
    head[4:8] = keep.to_bytes(4, "big")  # the item count, first dimension of the IDX header
    open(os.path.join(target, name), "wb").write(bytes(head) + data[header:header + keep * item])
PY
    echo "round,mode,threads,tool,images,seconds" >"$work/training.csv"
    phase training training_rounds
fi

# MARK: The report
if [ -s "$work/curvature_cores.txt" ]; then
    printf 'openblas core of Curvature\t%s (bench hvp'"'"'s own report)\n' "$(sort -u "$work/curvature_cores.txt" | paste -sd, -)" >>"$facts"
fi
[ -z "$raw" ] || cp "$raw_rows" "$raw"
/usr/bin/python3 "$BENCH_DIR/report.py" --work "$work" --threads "$threads_list" --workloads "$workloads" --runs "$runs" \
    --sgemm "$sgemm" ${csv:+--csv "$csv"} ${md:+--md "$md"}
