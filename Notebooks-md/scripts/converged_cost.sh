#!/usr/bin/env bash
# What converged spectra cost beside the 40-step budget of earlier versions, and what the budget got
# wrong: for each shipped softplus model, `spectrum --k 20` on the first N Fashion-MNIST test images
# by default (until converged) and with `--steps 40`, ROUNDS interleaved rounds, median wall time;
# each run's unconverged count, and both against the dense LAPACK spectrum of the first 50 images.
# Usage: converged_cost.sh [--samples N] [--rounds R] [--threads T]   (from the repository root,
# after `swift build -c release`). Prints a Markdown table headed by the CPU and OpenBLAS core.
set -euo pipefail
samples=200 rounds=3 threads=2
while [[ $# -gt 0 ]]; do
    case $1 in
        --samples) samples=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) echo "converged_cost.sh: unknown option $1 (use --samples N, --rounds R, --threads T)" >&2; exit 2 ;;
    esac
done
bin=.build/release/curvature
[[ -x $bin ]] || { echo "converged_cost.sh: $bin not found; run swift build -c release first" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
flags=$(grep -m1 "^flags" /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_bf16|avx512vnni)$' | paste -sd' ')
core=$($bin bench hvp --model mlp --batch 1 --threads 1 2>/dev/null | tail -1 | awk -F, '{print $NF}')

# Seconds of one run, its unconverged count and its rows beside the dense reference.
run() { # model out args...
    local model=$1 out=$2; shift 2
    local start end
    start=$(date +%s.%N)
    "$bin" spectrum --model "$model" --data fashion-mnist --samples "$samples" --k 20 --threads "$threads" --out "$out" "$@" 2>/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# Rows of `file` (first 50 samples) whose eigenvalue is further from the dense one of the same rank
# than its residual (+1e-6 λ₁ for the two Float32 operators' rounding): "outside", and the worst
# error relative to |λ_r|.
judge() { # file dense
    python3 - "$1" "$2" <<'EOF'
import csv, sys
dense = {(r['sample'], r['rank']): float(r['eigenvalue']) for r in csv.DictReader(open(sys.argv[2]))}
outside = worst = claimed = 0
for r in csv.DictReader(open(sys.argv[1])):
    key = (r['sample'], r['rank'])
    if key not in dense or r['converged'] != 'true':
        continue
    claimed += 1
    top = abs(dense[(r['sample'], '1')])
    error = abs(float(r['eigenvalue']) - dense[key])
    outside += error > float(r['residual']) + 1e-6 * top
    worst = max(worst, error / max(abs(dense[key]), 1e-300))
print(f"{outside} of {claimed}", f"{100 * worst:.2g} %")
EOF
}

echo "CPU: $cpu ($flags), OpenBLAS core $core, $threads threads, $samples images, k = 20, $rounds rounds; $(date -u +%F)"
echo
echo "| model | 40 steps s | converged s | ratio | 40 steps: unconverged samples | converged: unconverged samples | 40 steps: converged rows off rank (first 50) | default: converged rows off rank | 40 steps: worst error / λ_r | default: worst error / λ_r |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for family in standard pgd cure; do
    model=Data/models/fmnist-cnn-small-softplus-$family.safetensors
    "$bin" spectrum --model "$model" --data fashion-mnist --samples 50 --k 20 --method dense --threads "$threads" --out "$work/dense.csv" 2>/dev/null
    fixed=() converged=()
    for _ in $(seq "$rounds"); do
        fixed+=("$(run "$model" "$work/fixed.csv" --steps 40)")
        converged+=("$(run "$model" "$work/converged.csv")")
    done
    f=$(printf '%s\n' "${fixed[@]}" | median)
    c=$(printf '%s\n' "${converged[@]}" | median)
    count() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['unconverged_samples'])" "$1"; }
    read -r fo fw < <(judge "$work/fixed.csv" "$work/dense.csv" | awk '{print $1"/"$3, $4" "$5}')
    read -r co cw < <(judge "$work/converged.csv" "$work/dense.csv" | awk '{print $1"/"$3, $4" "$5}')
    printf '| softplus-%s | %.2f | %.2f | %.2f× | %s | %s | %s | %s | %s | %s |\n' "$family" "$f" "$c" "$(echo "$c / $f" | bc -l)" \
        "$(count "$work/fixed.csv.meta.json")" "$(count "$work/converged.csv.meta.json")" "$fo" "$co" "$fw" "$cw"
done
