#!/usr/bin/env bash
# bench_peers.sh: Curvature's input-HVP speed against its peers (PyTorch, JAX), in one run.
#
#   Notebooks-md/scripts/bench_peers.sh [--quick] [--threads 1,2] [--loaded] [--training] [--autoattack]
#                                       [--gemm-kernel avx2] [--md report.md]
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
# with `curvature train` and with torch_train.py (beside this script). --autoattack times an
# AutoAttack evaluation (L∞, ε 0.1, 10 classes) of a shipped robust model on the first
# --autoattack-samples Fashion-MNIST test images, `curvature eval --attack autoattack-linf` against
# torchattacks' ensemble with the published settings (100 iterations, 5,000 Square queries), once
# per round and thread count, through autoattack_crosscheck.py (beside this script); it reports
# both robust accuracies beside the times, so a reader sees both did the same work. It takes
# time: at its defaults (100 images of fmnist-cnn-small-pgd, 2 threads) one round took 15 minutes
# on a busy 2-core Zen 4 (load average 4–5: Curvature 90 s, torchattacks 813 s; torchattacks' own
# 1,000-image run took 827 s there when idle), so run it on an idle machine, and expect --runs 3 to
# add 3 such rounds (--autoattack-samples 20: 6.8 minutes a round at load average 6, 2.7 at 2.5).
# --gemm-kernel avx2 emulates a CPU without AVX-512 on an AVX-512 one, for all three tools at once
# (Curvature's packed GEMM, PyTorch's ATen and oneDNN kernels, XLA's code generation); the
# report's machine header says "AVX2 kernels emulated on <CPU>". OpenBLAS (PyTorch's GEMMs,
# Curvature's convolutions and Float64 paths, the SGEMM bound) keeps its AVX-512 kernels: this
# script never sets OPENBLAS_CORETYPE.
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
#   --autoattack         AutoAttack evaluation of a robust model, Curvature against torchattacks
#                        (autoattack_crosscheck.py; torchattacks from $TORCHATTACKS_VENV)
#   --autoattack-samples N  test images for --autoattack (default 100)
#   --autoattack-model F    the model for --autoattack (default
#                        Data/models/fmnist-cnn-small-pgd.safetensors, PGD-trained cnn-small)
#   --gemm-kernel K      avx2: every tool on its AVX2 kernels on an AVX-512 CPU
#                        (CURVATURE_GEMM_KERNEL=avx2; PyTorch ATEN_CPU_CAPABILITY=avx2 and
#                        ONEDNN_MAX_CPU_ISA=AVX2; JAX --xla_cpu_max_isa=AVX2 added to XLA_FLAGS);
#                        avx512: every tool on its AVX-512 kernels (CURVATURE_GEMM_KERNEL=avx512,
#                        ATEN_CPU_CAPABILITY=avx512, --xla_cpu_max_isa=AVX512; oneDNN's own choice).
#                        Default: each tool's own choice (PyTorch 1.13's ATen picks AVX2 on Zen 4)
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
# Environment: JAX_VENV (default $HOME/.cache/curvature-jax), TORCHATTACKS_VENV (default
# $HOME/.cache/curvature-peers: `/usr/bin/python3 -m venv --system-site-packages`, then
# `pip install --no-deps torchattacks`), PEERS_DIR. OPENBLAS_CORETYPE is reported when set, never
# set here; so are CURVATURE_GEMM_KERNEL, ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA and XLA_FLAGS
# when set by the caller without --gemm-kernel.
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
autoattack=0; aa_samples=100; aa_model="$ROOT/Data/models/fmnist-cnn-small-pgd.safetensors"; gemm_kernel=""
JAX_VENV=${JAX_VENV:-$HOME/.cache/curvature-jax}
TORCHATTACKS_VENV=${TORCHATTACKS_VENV:-$HOME/.cache/curvature-peers}

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
        --autoattack) autoattack=1 ;;
        --autoattack-samples) aa_samples=${2:?--autoattack-samples needs a value}; shift ;;
        --autoattack-model) aa_model=${2:?--autoattack-model needs a file}; shift ;;
        --gemm-kernel) gemm_kernel=${2:?--gemm-kernel needs a value}; shift ;;
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
[[ "$aa_samples" =~ ^[1-9][0-9]*$ ]] || die "--autoattack-samples must be a positive integer, got '$aa_samples'"
case "$gemm_kernel" in ""|avx2|avx512) ;; *) die "--gemm-kernel must be avx2 or avx512, got '$gemm_kernel'" ;; esac
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
if [ "$autoattack" = 1 ] && ! has_tool curvature; then
    die "--autoattack compares curvature with torchattacks; keep curvature in --tools"
fi
if [ "$autoattack" = 1 ]; then
    [ -f "$SCRIPT_DIR/autoattack_crosscheck.py" ] || die "--autoattack needs $SCRIPT_DIR/autoattack_crosscheck.py"
    [ -f "$aa_model" ] || die "--autoattack: no model at $aa_model (pass --autoattack-model FILE)"
    aa_model=$(cd "$(dirname "$aa_model")" && pwd)/$(basename "$aa_model")
fi
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    note "warning: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE is set in the environment (this script never sets it)"
fi
if [ -z "$gemm_kernel" ]; then
    for v in CURVATURE_GEMM_KERNEL ATEN_CPU_CAPABILITY ONEDNN_MAX_CPU_ISA DNNL_MAX_CPU_ISA XLA_FLAGS; do
        [ -z "${!v:-}" ] || note "warning: $v=${!v} is set in the environment (it is reported; --gemm-kernel sets the kernels of all three tools)"
    done
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
if { has_tool pytorch || [ "$training" = 1 ] || [ "$autoattack" = 1 ]; } && ! /usr/bin/python3 -c "import torch" 2>/dev/null; then apt_install python3-torch; fi
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
# torchattacks as autoattack_crosscheck.py finds it: the venv's site-packages after Debian's (its
# own NumPy, if any, must not shadow the one Debian's torch was built with).
torchattacks_ok() {
    /usr/bin/python3 -c 'import glob, os, sys
sys.path.extend(glob.glob(os.path.join(sys.argv[1], "lib", "python3*", "site-packages")))
import torchattacks' "$TORCHATTACKS_VENV" 2>/dev/null
}
if [ "$autoattack" = 1 ] && ! torchattacks_ok; then
    [ "$install" = 1 ] || die "no torchattacks in $TORCHATTACKS_VENV and --no-install was given"
    note "installing torchattacks into $TORCHATTACKS_VENV"
    mkdir -p "$(dirname "$TORCHATTACKS_VENV")"
    { [ -x "$TORCHATTACKS_VENV/bin/pip" ] || /usr/bin/python3 -m venv --system-site-packages "$TORCHATTACKS_VENV"; } >&2 \
        && "$TORCHATTACKS_VENV/bin/pip" install --no-deps torchattacks >&2 \
        && torchattacks_ok || die "could not install torchattacks into $TORCHATTACKS_VENV"
fi
if { [ "$training" = 1 ] || [ "$autoattack" = 1 ]; } && [ ! -d /usr/share/datasets/fashion-mnist ]; then apt_install dataset-fashion-mnist; fi

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

# MARK: --gemm-kernel: every tool's kernels, through its environment (exported: every run inherits it)
cpu_flag() { grep -m1 '^flags' /proc/cpuinfo | grep -qw "$1"; }
if [ -n "$gemm_kernel" ]; then
    case "$gemm_kernel" in
        avx2)
            cpu_flag avx2 && cpu_flag fma || die "--gemm-kernel avx2: this CPU has no AVX2/FMA"
            # oneDNN runs PyTorch's float32 convolutions, with its own CPU dispatch (ATen's does not reach it).
            export ONEDNN_MAX_CPU_ISA=AVX2 DNNL_MAX_CPU_ISA=AVX2
            xla_isa=AVX2 ;;
        avx512)
            cpu_flag avx512f || die "--gemm-kernel avx512: this CPU has no AVX-512"
            xla_isa=AVX512 ;;
    esac
    export CURVATURE_GEMM_KERNEL=$gemm_kernel ATEN_CPU_CAPABILITY=$gemm_kernel
    export XLA_FLAGS="${XLA_FLAGS:+$XLA_FLAGS }--xla_cpu_max_isa=$xla_isa"
    if has_tool curvature; then
        # A binary older than CURVATURE_GEMM_KERNEL would ignore it, and the report would lie.
        rc=0; CURVATURE_GEMM_KERNEL=no-such-kernel "$curvature_bin" --version >/dev/null 2>&1 || rc=$?
        [ "$rc" = 2 ] || die "$curvature_bin does not read CURVATURE_GEMM_KERNEL (older than c44b646); --gemm-kernel needs it"
        "$curvature_bin" --version >/dev/null || die "curvature refuses CURVATURE_GEMM_KERNEL=$gemm_kernel"
    fi
    if has_tool jax; then
        # An unknown XLA flag aborts; an unknown ISA name is only a warning, so look for it.
        out=$(TF_CPP_MIN_LOG_LEVEL=0 JAX_PLATFORMS=cpu "$JAX_VENV/bin/python" -c 'import jax.numpy as jnp; (jnp.ones(4) + 1).block_until_ready()' 2>&1) \
            || die "JAX refuses XLA_FLAGS='$XLA_FLAGS': $(tail -n 1 <<<"$out")"
        ! grep -q 'Unknown CPU ISA' <<<"$out" || die "XLA does not know --xla_cpu_max_isa=$xla_isa: $(grep -m1 'Unknown CPU ISA' <<<"$out")"
    fi
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
# The kernels each tool runs. "emulation" heads every table of the report.
cpu_name=$(awk -F'\t' '$1 == "cpu" { print $2; exit }' "$facts")
openblas_core=$(awk -F'\t' '$1 == "openblas core" { print $2; exit }' "$facts")
if [ "$gemm_kernel" = avx2 ] && cpu_flag avx512f; then
    printf 'emulation\t%s\n' "AVX2 kernels emulated on $cpu_name, a CPU with AVX-512 (--gemm-kernel avx2): Curvature CURVATURE_GEMM_KERNEL=avx2, PyTorch ATEN_CPU_CAPABILITY=avx2 and ONEDNN_MAX_CPU_ISA=AVX2, JAX --xla_cpu_max_isa=AVX2; OpenBLAS keeps its AVX-512 kernels ($openblas_core; PyTorch's GEMMs, Curvature's Float64 paths, the SGEMM bound)" >>"$facts"
elif [ "$gemm_kernel" = avx2 ]; then
    printf 'emulation\tnone: --gemm-kernel avx2 on %s, whose widest vector extension is AVX2 anyway\n' "$cpu_name" >>"$facts"
elif [ "$gemm_kernel" = avx512 ]; then
    printf 'emulation\tnone: every tool on its AVX-512 kernels (--gemm-kernel avx512: CURVATURE_GEMM_KERNEL=avx512, ATEN_CPU_CAPABILITY=avx512, --xla_cpu_max_isa=AVX512)\n' >>"$facts"
fi
if has_tool curvature; then
    if [ -n "${CURVATURE_GEMM_KERNEL:-}" ]; then kernel="$CURVATURE_GEMM_KERNEL (CURVATURE_GEMM_KERNEL)"; else kernel="the widest this CPU runs (CURVATURE_GEMM_KERNEL not set)"; fi
    printf 'curvature gemm kernel\t%s\n' "$kernel" >>"$facts"
fi
if has_tool pytorch || [ "$training" = 1 ] || [ "$autoattack" = 1 ]; then
    printf 'pytorch kernels\t%s\n' "$(/usr/bin/python3 "$BENCH_DIR/machine_facts.py" torch-kernels 2>/dev/null || echo unknown)" >>"$facts"
fi
if has_tool jax; then
    isa=$(grep -o -- '--xla_cpu_max_isa=[A-Za-z0-9_]*' <<<"${XLA_FLAGS:-}" | tail -n 1 || true)
    [ -n "$isa" ] || isa="XLA's own choice (no --xla_cpu_max_isa in XLA_FLAGS)"
    printf 'jax kernels\t%s\n' "$isa" >>"$facts"
fi
# The bound is the SGEMM of the kernel set Curvature runs (it switches OpenBLAS to a set whose
# GEMMs round the same way for any batch and thread count, README), so the measurement uses that
# set too (the peers' own choices are reported by machine_facts).
curvature_core=""
if has_tool curvature; then
    curvature_core=$("$curvature_bin" bench hvp --model mlp --batch 1 --repeats 5 --threads 1 | tail -n 1 | cut -d, -f7)
    printf 'curvature kernels	its own packed GEMM for Float32 products and convolutions (kernel: CURVATURE_GEMM_KERNEL, else the widest this CPU runs); OpenBLAS %s for the rest (as bench hvp reports it; the SGEMM bound below is measured with it)\n' "${curvature_core:-unknown}" >>"$facts"
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

# MARK: AutoAttack, Curvature against torchattacks
autoattack_one() {  # autoattack_one ROUND THREADS: appends one row to autoattack.csv (or warns)
    local round=$1 threads=$2 out="$work/aa.out" err="$work/aa.err" row
    # autoattack_crosscheck.py runs `curvature eval` first, then torchattacks, on the same images.
    if ! env OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
            TORCHATTACKS_VENV="$TORCHATTACKS_VENV" /usr/bin/python3 "$SCRIPT_DIR/autoattack_crosscheck.py" \
            --models "$aa_model" --samples "$aa_samples" --threads "$threads" --curvature "$curvature_bin" >"$out" 2>"$err"; then
        note "warning: autoattack_crosscheck.py failed:"; tail -n 5 "$err" >&2; return 0
    fi
    # model,samples,epsilon,clean,curvature,torchattacks,diff,curvature_s,torchattacks_s,norm,reference
    row=$(awk -F, 'NR == 2 && NF == 11 { print; exit }' "$out")
    if [ -z "$row" ]; then note "warning: autoattack_crosscheck.py printed no row:"; tail -n 3 "$out" "$err" >&2; return 0; fi
    echo "$round,$threads,$row" >>"$work/autoattack.csv"
    IFS=, read -r _ _ _ _ ours theirs _ ours_s theirs_s _ <<<"$row"
    note "  autoattack round $round T=$threads: Curvature $ours_s s (robust $ours %), torchattacks $theirs_s s (robust $theirs %)"
}
autoattack_rounds() {
    local round threads
    for ((round = 1; round <= runs; round++)); do
        for threads in "${THREADS[@]}"; do autoattack_one "$round" "$threads"; done
    done
}
if [ "$autoattack" = 1 ]; then
    echo "round,threads,model,samples,epsilon,clean,curvature,torchattacks,diff,curvature_s,torchattacks_s,norm,reference" >"$work/autoattack.csv"
    phase autoattack autoattack_rounds
fi

# MARK: The report
if [ -s "$work/curvature_cores.txt" ]; then
    printf 'openblas core of Curvature\t%s (bench hvp'"'"'s own report)\n' "$(sort -u "$work/curvature_cores.txt" | paste -sd, -)" >>"$facts"
fi
[ -z "$raw" ] || cp "$raw_rows" "$raw"
/usr/bin/python3 "$BENCH_DIR/report.py" --work "$work" --threads "$threads_list" --workloads "$workloads" --runs "$runs" \
    --sgemm "$sgemm" ${csv:+--csv "$csv"} ${md:+--md "$md"}
