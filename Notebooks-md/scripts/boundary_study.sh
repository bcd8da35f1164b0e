#!/usr/bin/env bash
# Notebook 08's numbers: the decision boundary of the shipped Fashion-MNIST models at the first N
# test images. Softplus family: exact principal curvatures (top and bottom K) and, for comparison
# with the ReLU family, finite-scale curvature along random tangents; ReLU family: finite-scale only
# (its exact curvatures are 0). Every run adds the interpretability columns. Prints one Markdown
# table; the CSVs stay in OUT.
# Usage: boundary_study.sh [--samples N] [--out DIR] [--threads T]   (from the repository root,
# after `swift build -c release`).
set -euo pipefail
samples=100 out=boundary-study threads=2
while [[ $# -gt 0 ]]; do
    case $1 in
        --samples) samples=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        *) echo "boundary_study.sh: unknown option $1 (use --samples N, --out DIR, --threads T)" >&2; exit 2 ;;
    esac
done
bin=.build/release/curvature
[[ -x $bin ]] || { echo "boundary_study.sh: $bin not found; run swift build -c release first" >&2; exit 1; }
mkdir -p "$out"
common=(--data fashion-mnist --samples "$samples" --threads "$threads" --interpretability)
for family in cnn-small-softplus cnn-small; do
    for mode in standard pgd cure; do
        model=Data/models/fmnist-$family-$mode.safetensors
        if [[ $family == cnn-small-softplus ]]; then
            for end in largest smallest; do
                [[ -s $out/$family-$mode-exact-$end.csv ]] || "$bin" boundary --model "$model" "${common[@]}" --k 5 --which "$end" \
                    --out "$out/$family-$mode-exact-$end.csv" 2>>"$out/stderr.txt"
            done
        fi
        [[ -s $out/$family-$mode-finite.csv ]] || "$bin" boundary --model "$model" "${common[@]}" --k 1 --hessian finite --h 0.05,0.2 \
            --random-directions 4 --out "$out/$family-$mode-finite.csv" 2>>"$out/stderr.txt"
    done
done
python3 - "$out" <<'EOF'
import csv, statistics, sys
out = sys.argv[1]
def rows(name):
    try:
        return list(csv.DictReader(open(f"{out}/{name}.csv")))
    except FileNotFoundError:
        return []
def median(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")
print("| family | model | located / correct | median distance | median κ₁ | median κ_min (of the bottom 5) | median κ₁ × distance | median κ_h, h = 0.05 (random) | median κ_h, h = 0.2 | median alignment | median cosine | median perturbation cosine |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for family in ["cnn-small-softplus", "cnn-small"]:
    for mode in ["standard", "pgd", "cure"]:
        finite = rows(f"{family}-{mode}-finite")
        top, bottom = rows(f"{family}-{mode}-exact-largest"), rows(f"{family}-{mode}-exact-smallest")
        base = top or finite
        per_sample = {}
        for r in base:
            per_sample.setdefault(r["sample"], r)
        located = [r for r in per_sample.values() if r["status"] in ("ok", "not-nearest")]
        correct = [r for r in per_sample.values() if r["status"] != "misclassified"]
        distance = {r["sample"]: float(r["distance"]) for r in located}
        kappa1 = {r["sample"]: float(r["curvature"]) for r in top if r["rank"] and r["status"] in ("ok", "not-nearest") and int(r["rank"]) == 1}
        kmin = {}
        for r in bottom:
            if r["status"] in ("ok", "not-nearest") and r["curvature"]:
                kmin[r["sample"]] = min(kmin.get(r["sample"], float("inf")), float(r["curvature"]))
        def finite_median(h):
            return median([float(r["curvature"]) for r in finite if r.get("h") == h and r["curvature"] and r["direction"].startswith("random")])
        fmt = lambda v: "–" if v != v else f"{v:.3g}"
        print(f"| {family} | {mode} | {len(located)} / {len(correct)} | {fmt(median(list(distance.values())))} | {fmt(median(list(kappa1.values())))} | "
              f"{fmt(median(list(kmin.values())))} | {fmt(median([kappa1[s] * distance[s] for s in kappa1 if s in distance]))} | "
              f"{fmt(finite_median('0.05'))} | {fmt(finite_median('0.2'))} | "
              f"{fmt(median([float(r['alignment']) for r in per_sample.values() if r['alignment']]))} | "
              f"{fmt(median([float(r['alignment_cosine']) for r in per_sample.values() if r['alignment_cosine']]))} | "
              f"{fmt(median([float(r['perturbation_cosine']) for r in per_sample.values() if r['perturbation_cosine']]))} |")
EOF
