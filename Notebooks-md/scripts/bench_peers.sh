#!/usr/bin/env bash
# bench_peers.sh: Curvature's input-HVP speed against its peers (PyTorch, JAX), in one run.
#
#   Notebooks-md/scripts/bench_peers.sh [--quick] [--threads 1,2] [--csv rows.csv] [--raw runs.csv]
#
# Installs what is missing (python3-torch, GNU time, a JAX venv), builds Curvature in release,
# then for each thread count and each workload (mlp B=1, mlp B=128, cnn B=1, cnn B=128) runs
# Curvature's `bench hvp`, the PyTorch peer (peers/torch_hvp.py) and the JAX peer
# (peers/jax_hvp.py, both beside this script) back to back, round after round (the order of the three rotates
# from round to round), so drift of the machine's load hits all three alike. Every tool reports
# the median of its own timed repeats; the table shows the median over the rounds. Peak RSS
# (/usr/bin/time -f %M) is measured for every cnn B=128 run. Prints one Markdown table on stdout
# (progress on stderr); --csv writes the rows in long format for bench_chart.gp.
#
# Options
#   --quick              only B=128, Curvature --repeats 5, one round (for validation)
#   --threads LIST       comma-separated thread counts (default 2)
#   --runs N             rounds: each tool runs N times per workload (default 3; 1 with --quick)
#   --repeats R          Curvature's timed repeats per run, ≥ 5 (default 7; 5 with --quick)
#   --workloads LIST     e.g. mlp:1,cnn:128 (default mlp:1,mlp:128,cnn:1,cnn:128)
#   --tools LIST         subset of curvature,jax,pytorch (default all three)
#   --csv FILE           rows workload,threads,tool,grad_per_s,hvp_per_s,peak_rss_mb
#   --raw FILE           every single run: round,workload,threads,tool,grad_ms,hvp_ms,hvp_per_s,peak_rss_mb
#   --md FILE            also write the Markdown table to FILE
#   --peers DIR          where torch_hvp.py and jax_hvp.py are (default: peers/ beside this
#                        script; or $PEERS_DIR)
#   --scratch-path DIR   SwiftPM build folder (default .build, or .build-peers when .build is locked
#                        by another SwiftPM process)
#   --no-build           do not build; use the existing release binary (or --curvature BIN)
#   --curvature BIN      the curvature binary to benchmark (implies --no-build)
#   --sgemm-gflops G     2-thread SGEMM rate of the machine for the "% of sgemm bound" column
#                        (default 130; scaled by T/2 for T threads)
#   --no-install         never call apt-get or pip; fail if something is missing
# Environment: JAX_VENV (default $HOME/.cache/curvature-jax), PEERS_DIR.
#
# FLOP per sample HVP: cnn 112e6; mlp 4·2·(784·512 + 512·512 + 512·10) = 5,349,376.
# The bound in HVP/s is G·1e9·(T/2) / FLOP; "% of sgemm bound" is Curvature's HVP/s against it.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

quick=0; threads_list=2; runs=""; repeats=""; workloads=""; tools="curvature,jax,pytorch"
csv=""; raw=""; md=""; peers="${PEERS_DIR:-}"; scratch=""; build=1; curvature_bin=""
sgemm_gflops=130; install=1
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
    : "${runs:=3}" "${repeats:=7}" "${workloads:=mlp:1,mlp:128,cnn:1,cnn:128}"
fi
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$runs'"
[[ "$repeats" =~ ^[0-9]+$ ]] && [ "$repeats" -ge 5 ] || die "--repeats must be ≥ 5, got '$repeats'"
[[ "$threads_list" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads must be like 2 or 1,2, got '$threads_list'"
[[ "$workloads" =~ ^(mlp|cnn):[1-9][0-9]*(,(mlp|cnn):[1-9][0-9]*)*$ ]] || die "--workloads must be like mlp:1,cnn:128, got '$workloads'"
[[ "$sgemm_gflops" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--sgemm-gflops must be a number, got '$sgemm_gflops'"
IFS=, read -r -a THREADS <<<"$threads_list"
IFS=, read -r -a WORKLOADS <<<"$workloads"
IFS=, read -r -a TOOLS <<<"$tools"
for t in "${TOOLS[@]}"; do
    case "$t" in curvature|jax|pytorch) ;; *) die "--tools: unknown tool '$t' (curvature, jax, pytorch)" ;; esac
done
has_tool() { [[ ",$tools," == *",$1,"* ]]; }
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
    note "warning: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE is set in the environment (this script never sets it)"
fi

# MARK: Peers
if [ -z "$peers" ]; then
    for candidate in "$SCRIPT_DIR/peers"; do
        if [ -f "$candidate/torch_hvp.py" ]; then peers=$(cd "$candidate" && pwd); break; fi
    done
fi
if has_tool pytorch || has_tool jax; then
    [ -n "$peers" ] && [ -f "$peers/torch_hvp.py" ] && [ -f "$peers/jax_hvp.py" ] \
        || die "cannot find torch_hvp.py and jax_hvp.py (tried ${peers:-$SCRIPT_DIR/peers}); pass --peers DIR"
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
# /usr/bin/python3 also aggregates the results, so it is needed in every case.
[ -x /usr/bin/python3 ] || apt_install python3
if has_tool pytorch && ! /usr/bin/python3 -c "import torch" 2>/dev/null; then apt_install python3-torch; fi
[ -x /usr/bin/time ] || apt_install time
command -v taskset >/dev/null || apt_install util-linux
if has_tool jax && ! "$JAX_VENV/bin/python" -c "import jax" 2>/dev/null; then
    [ "$install" = 1 ] || die "no JAX in $JAX_VENV and --no-install was given"
    note "creating a JAX venv in $JAX_VENV"
    mkdir -p "$(dirname "$JAX_VENV")"
    { python3 -m venv "$JAX_VENV" && "$JAX_VENV/bin/pip" install jax; } >&2 || die "could not install jax into $JAX_VENV"
fi

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
fi

# MARK: One workload of a peer, in its own process
work=$(mktemp -d "${TMPDIR:-/tmp}/bench_peers.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/peer_one.py" <<'PY'
"""Runs ONE workload of a peer script, with the peer's own code.

    python peer_one.py torch|jax PEERS_DIR MODEL THREADS BATCH

torch: imports torch_hvp and calls its run(name, net, threads, B).
jax:   jax_hvp.py loops over all workloads at module level; its two `for` loops are narrowed
       to the one workload (AST edit of the loop tuples only) and the script is executed as is.
If the peer's layout is not the expected one, the whole script runs; the caller filters rows.
"""
import ast, os, runpy, sys

kind, peers, model, threads, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, peers)
if kind == "torch":
    path = os.path.join(peers, "torch_hvp.py")
    try:
        import torch_hvp as peer
        net = getattr(peer, model)()
        print("model,threads,batch,grad_ms,hvp_ms,hvp_per_s", flush=True)
        peer.run(model, net, threads, batch)
    except AttributeError as error:
        print(f"peer_one: torch_hvp.py layout changed ({error}); running it whole", file=sys.stderr)
        runpy.run_path(path, run_name="__main__")
    sys.exit(0)

path = os.path.join(peers, "jax_hvp.py")
source = open(path).read()
tree = ast.parse(source, path)
narrowed = False
for node in tree.body:
    if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and node.target.id == "B":
        node.iter = ast.Tuple(elts=[ast.Constant(batch)], ctx=ast.Load())
        for inner in node.body:
            if isinstance(inner, ast.For) and isinstance(inner.iter, ast.Tuple):
                keep = [e for e in inner.iter.elts if isinstance(e, ast.Tuple) and e.elts
                        and isinstance(e.elts[0], ast.Constant) and e.elts[0].value == model]
                if len(keep) == 1:
                    inner.iter.elts = keep
                    narrowed = True
if not narrowed:
    print("peer_one: jax_hvp.py layout changed; running it whole", file=sys.stderr)
    tree = ast.parse(source, path)
ast.fix_missing_locations(tree)
sys.argv = [path, str(threads)]
code = compile(tree, path, "exec")
exec(code, {"__name__": "__main__", "__file__": path, "__builtins__": __builtins__})
PY

raw_rows="$work/runs.csv"
echo "round,workload,threads,tool,grad_ms,hvp_ms,hvp_per_s,peak_rss_mb" >"$raw_rows"

# run_tool ROUND TOOL MODEL BATCH THREADS: appends one row to $raw_rows (or warns).
run_tool() {
    local round=$1 tool=$2 model=$3 batch=$4 threads=$5
    local out="$work/out.txt" err="$work/err.txt" rss="$work/rss.txt"
    local -a cmd timer=()
    case "$tool" in
        curvature) cmd=("$curvature_bin" bench hvp --model "$model" --batch "$batch" --threads "$threads" --repeats "$repeats") ;;
        pytorch) cmd=(/usr/bin/python3 "$work/peer_one.py" torch "$peers" "$model" "$threads" "$batch") ;;
        jax)
            cmd=("$JAX_VENV/bin/python" "$work/peer_one.py" jax "$peers" "$model" "$threads" "$batch")
            if [ "$threads" = 1 ]; then cmd=(taskset -c 0 "${cmd[@]}"); fi ;;
    esac
    local measure_rss=0
    if [ "$model" = cnn ] && [ "$batch" = 128 ]; then measure_rss=1; timer=(/usr/bin/time -f %M -o "$rss"); fi
    rm -f "$rss"
    if ! env OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
            TF_CPP_MIN_LOG_LEVEL=2 "${timer[@]}" "${cmd[@]}" >"$out" 2>"$err"; then
        note "warning: $tool $model B=$batch threads=$threads failed:"; tail -n 5 "$err" >&2
        return 0
    fi
    grep '^peer_one:' "$err" >&2 || true
    local row
    row=$(awk -F, -v m="$model" -v t="$threads" -v b="$batch" '$1 == m && $2 == t && $3 == b { print; exit }' "$out")
    if [ -z "$row" ]; then
        note "warning: $tool printed no row for $model,$threads,$batch:"; tail -n 5 "$out" "$err" >&2
        return 0
    fi
    local mb=""
    if [ "$measure_rss" = 1 ] && [ -s "$rss" ]; then mb=$(awk 'END { printf "%.1f", $1 / 1024 }' "$rss"); fi
    IFS=, read -r _ _ _ grad_ms hvp_ms hvp_per_s <<<"$row"
    echo "$round,$model B=$batch,$threads,$tool,$grad_ms,$hvp_ms,$hvp_per_s,$mb" >>"$raw_rows"
    note "  round $round  $(printf '%-9s' "$tool") $model B=$batch T=$threads: grad ${grad_ms} ms, HVP ${hvp_ms} ms, ${hvp_per_s} HVP/s${mb:+, peak RSS $mb MiB}"
}

# MARK: The runs, interleaved per workload
versions() {
    echo "curvature: ${curvature_bin} ($(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown))"
    has_tool pytorch && echo "pytorch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null)"
    has_tool jax && echo "jax: $("$JAX_VENV/bin/python" -c 'import jax, jaxlib; print(jax.__version__, "jaxlib", jaxlib.__version__)' 2>/dev/null) ($JAX_VENV)"
    echo "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo) × $(nproc)"
}
versions | sed 's/^/bench_peers.sh: /' >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
note "threads ${threads_list}; workloads ${workloads}; ${runs} round(s); Curvature --repeats ${repeats}; load average ${load_before}"
for ((round = 1; round <= runs; round++)); do
    # Rotate the tools' order from round to round, so none always runs first after a change of workload.
    order=()
    for ((i = 0; i < ${#TOOLS[@]}; i++)); do order+=("${TOOLS[$(((i + round - 1) % ${#TOOLS[@]}))]}"); done
    for threads in "${THREADS[@]}"; do
        for workload in "${WORKLOADS[@]}"; do
            for tool in "${order[@]}"; do run_tool "$round" "$tool" "${workload%%:*}" "${workload##*:}" "$threads"; done
        done
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# MARK: Table and CSV
[ -z "$raw" ] || cp "$raw_rows" "$raw"
/usr/bin/python3 - "$raw_rows" "${csv:-}" "${md:-}" "$sgemm_gflops" "$threads_list" "$workloads" "$runs" \
    "$load_before" "$load_after" "$(versions | tr '\n' ';')" <<'PY'
import csv, statistics, sys

rows_path, csv_path, md_path, gflops, threads_list, workloads, runs, load_before, load_after, versions = sys.argv[1:]
gflops = float(gflops)
flop = {"cnn": 112e6, "mlp": 4 * 2 * (784 * 512 + 512 * 512 + 512 * 10)}
tools = ["curvature", "jax", "pytorch"]
runs_by = {}
for r in csv.DictReader(open(rows_path)):
    batch = int(r["workload"].split("B=")[1])
    runs_by.setdefault((r["workload"], int(r["threads"]), r["tool"]), []).append({
        "grad_per_s": batch * 1e3 / float(r["grad_ms"]) if float(r["grad_ms"]) > 0 else float("nan"),
        "hvp_per_s": float(r["hvp_per_s"]),
        "rss": float(r["peak_rss_mb"]) if r["peak_rss_mb"] else None})

def summary(key):
    values = runs_by.get(key)
    if not values:
        return None
    rss = [v["rss"] for v in values if v["rss"] is not None]
    return {"grad_per_s": statistics.median(v["grad_per_s"] for v in values),
            "hvp_per_s": statistics.median(v["hvp_per_s"] for v in values),
            "rss": max(rss) if rss else None, "n": len(values)}

order = [(f"{w.split(':')[0]} B={w.split(':')[1]}", int(t)) for t in threads_list.split(",") for w in workloads.split(",")]
rate = lambda x: "n/a" if x is None else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")
out_rows, lines = [], []
lines.append("| workload | threads | Curvature grad/s | JAX grad/s | PyTorch grad/s | Curvature HVP/s | JAX HVP/s | "
             "PyTorch HVP/s | ratio vs JAX | ratio vs PyTorch | % of sgemm bound | peak RSS MB (Curvature / JAX / PyTorch) |")
lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for workload, threads in order:
    s = {tool: summary((workload, threads, tool)) for tool in tools}
    get = lambda tool, field: s[tool][field] if s[tool] else None
    for tool in tools:
        if s[tool]:
            rss = s[tool]["rss"]
            out_rows.append([workload, threads, tool, f"{s[tool]['grad_per_s']:.2f}", f"{s[tool]['hvp_per_s']:.2f}",
                             "" if rss is None else f"{rss:.1f}"])
    c = get("curvature", "hvp_per_s")
    ratio = lambda peer: "n/a" if c is None or not get(peer, "hvp_per_s") else f"{c / get(peer, 'hvp_per_s'):.2f}×"
    bound = gflops * 1e9 * threads / 2 / flop[workload.split()[0]]
    percent = "n/a" if c is None else f"{100 * c / bound:.1f} %"
    if workload == "cnn B=128":
        rss = " / ".join("n/a" if get(t, "rss") is None else f"{get(t, 'rss'):.0f}" for t in tools)
    else:
        rss = ""
    lines.append(f"| {workload} | {threads} | {rate(get('curvature', 'grad_per_s'))} | {rate(get('jax', 'grad_per_s'))} | "
                 f"{rate(get('pytorch', 'grad_per_s'))} | {rate(c)} | {rate(get('jax', 'hvp_per_s'))} | "
                 f"{rate(get('pytorch', 'hvp_per_s'))} | {ratio('jax')} | {ratio('pytorch')} | {percent} | {rss} |")
notes = [
    "",
    f"Median over {runs} run(s) per tool of each tool's own median; runs interleaved per workload, tool order rotating.",
    "grad/s and HVP/s count samples (B per batched call); ratio = Curvature HVP/s ÷ peer HVP/s (> 1: Curvature faster).",
    f"% of sgemm bound: Curvature HVP/s ÷ ({gflops:g} GFLOP/s · T/2 ÷ FLOP per sample HVP), FLOP = 112e6 (cnn), "
    f"{flop['mlp']:,} (mlp). Peak RSS: largest over the runs, MiB.",
    f"Load average before {load_before}, after {load_after}. " + versions.strip(";").replace(";", "; "),
]
text = "\n".join(lines + notes) + "\n"
sys.stdout.write(text)
if md_path:
    open(md_path, "w").write(text)
if csv_path:
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["workload", "threads", "tool", "grad_per_s", "hvp_per_s", "peak_rss_mb"])
        w.writerows(out_rows)
    print(f"bench_peers.sh: wrote {csv_path}", file=sys.stderr)
PY
