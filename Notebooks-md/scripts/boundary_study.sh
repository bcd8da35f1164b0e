#!/usr/bin/env bash
# Notebook 08's numbers: the decision boundary at the first N Fashion-MNIST test images of the
# shipped models (softplus and ReLU families, normal / PGD / CURE) and, when their folder exists,
# Notebook 06's PyTorch ResNets exported to ONNX (ReLU, normal and PGD; and the same network with
# SiLU, `train_resnet.py --activation silu`). Smooth networks: exact principal curvatures (the 5
# largest and the 5 smallest, `--which both`) and a converged top-20 spectrum for the cost beside
# them; every network: finite-scale curvature along 4 random tangents at h = 0.05 and 0.2 (a ReLU
# network's exact curvatures are 0). Every run adds the interpretability columns. Prints one
# Markdown table (medians over the images with a boundary point); the CSVs stay in OUT.
# Usage: boundary_study.sh [--samples N] [--out DIR] [--threads T] [--resnets DIR]
#   (from the repository root, after `swift build -c release`; DIR of --resnets as
#   your_own_model.sh's OUT, default out/your-own-model, holding normal/, pgd/, silu-normal/ and
#   silu-pgd/ with model.onnx each).
set -euo pipefail
samples=100 out=boundary-study threads=2 resnets=out/your-own-model
while [[ $# -gt 0 ]]; do
    case $1 in
        --samples) samples=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --resnets) resnets=$2; shift 2 ;;
        *) echo "boundary_study.sh: unknown option $1 (use --samples N, --out DIR, --threads T, --resnets DIR)" >&2; exit 2 ;;
    esac
done
bin=.build/release/curvature
[[ -x $bin ]] || { echo "boundary_study.sh: $bin not found; run swift build -c release first" >&2; exit 1; }
mkdir -p "$out"
common=(--data fashion-mnist --samples "$samples" --threads "$threads")
# name, model file, smooth (exact curvatures) or not
models=()
for family in cnn-small-softplus cnn-small; do
    smooth=$([[ $family == cnn-small-softplus ]] && echo yes || echo no)
    for mode in standard pgd cure; do models+=("$family-$mode Data/models/fmnist-$family-$mode.safetensors $smooth"); done
done
for resnet in normal pgd silu-normal silu-pgd; do
    smooth=$([[ $resnet == silu-* ]] && echo yes || echo no)
    [[ -s $resnets/$resnet/model.onnx ]] && models+=("resnet-$resnet $resnets/$resnet/model.onnx $smooth")
done
for entry in "${models[@]}"; do
    read -r name model smooth <<<"$entry"
    if [[ $smooth == yes ]]; then
        [[ -s $out/$name-exact.csv ]] || "$bin" boundary --model "$model" "${common[@]}" --interpretability --k 5 --which both \
            --out "$out/$name-exact.csv" 2>>"$out/stderr.txt"
        [[ -s $out/$name-spectrum.csv ]] || "$bin" spectrum --model "$model" "${common[@]}" --k 20 \
            --out "$out/$name-spectrum.csv" 2>>"$out/stderr.txt"
    fi
    [[ -s $out/$name-finite.csv ]] || "$bin" boundary --model "$model" "${common[@]}" --interpretability --k 1 --hessian finite \
        --h 0.05,0.2 --random-directions 4 --out "$out/$name-finite.csv" 2>>"$out/stderr.txt"
done
# The softplus family as a study: boundary-profile.csv (curvatures by rank) and the cross-section
# of the first image all three classify correctly; clean accuracy only (no attack needed here).
S=Data/models/fmnist-cnn-small-softplus
[[ -s $out/compare-softplus/summary.md ]] || "$bin" compare --models "$S-standard.safetensors,$S-pgd.safetensors,$S-cure.safetensors" \
    --names normal,pgd,cure "${common[@]}" --boundary --robust-attacks pgd --epsilons 0 --figure-samples 0 \
    --out-dir "$out/compare-softplus" >/dev/null 2>>"$out/stderr.txt"
"$bin" plot boundary-profile --input "$out/compare-softplus/boundary-profile.csv" --output Notebooks-md/figures/08-boundary-profile.png \
    --title "Principal curvatures of the boundary at the nearest boundary point, softplus cnn-small, first $samples test images"
"$bin" plot section --input "$out/compare-softplus/section.csv" --output Notebooks-md/figures/08-study-section.png
/usr/bin/python3 - "$out" "${models[@]}" <<'PY'
import csv, json, statistics, sys
out, entries = sys.argv[1], [e.split() for e in sys.argv[2:]]
def rows(name):
    try:
        return list(csv.DictReader(open(f"{out}/{name}.csv")))
    except FileNotFoundError:
        return []
def seconds(name):
    try:
        return json.load(open(f"{out}/{name}.csv.meta.json"))["wall_seconds"]
    except FileNotFoundError:
        return float("nan")
def median(values):
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")
fmt = lambda v: "–" if v != v else f"{v:.3g}"
print("| model | located / correct | not-nearest | median distance | median κ₁ | median κ_min | median κ₁ × distance | median κ_h, h = 0.05 (random) | median κ_h, h = 0.2 | median alignment | median cosine | median perturbation cosine | s/image: boundary (exact) | s/image: top-20 spectrum |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name, _, smooth in entries:
    exact, finite = rows(f"{name}-exact"), rows(f"{name}-finite")
    per_sample = {}
    for r in exact or finite:
        per_sample.setdefault(r["sample"], r)
    located = [r for r in per_sample.values() if r["status"] in ("ok", "not-nearest")]
    stalled = [r for r in located if r["status"] == "not-nearest"]
    correct = [r for r in per_sample.values() if r["status"] != "misclassified"]
    distance = {r["sample"]: float(r["distance"]) for r in located}
    principal = [r for r in exact if r["status"] in ("ok", "not-nearest") and r["rank"]]
    kappa1 = {r["sample"]: float(r["curvature"]) for r in principal if int(r["rank"]) == 1}
    kmin = {}
    for r in principal:
        kmin[r["sample"]] = min(kmin.get(r["sample"], float("inf")), float(r["curvature"]))
    def finite_median(h):
        return median([float(r["curvature"]) for r in finite if r.get("h") == h and r["curvature"] and r["direction"].startswith("random")])
    n = len(per_sample) or 1
    print(f"| {name} | {len(located)} / {len(correct)} | {len(stalled)} | {fmt(median(list(distance.values())))} | "
          f"{fmt(median(list(kappa1.values())))} | {fmt(median(list(kmin.values())))} | "
          f"{fmt(median([kappa1[s] * distance[s] for s in kappa1 if s in distance]))} | "
          f"{fmt(finite_median('0.05'))} | {fmt(finite_median('0.2'))} | "
          f"{fmt(median([float(r['alignment']) for r in located if r['alignment']]))} | "
          f"{fmt(median([float(r['alignment_cosine']) for r in located if r['alignment_cosine']]))} | "
          f"{fmt(median([float(r['perturbation_cosine']) for r in located if r['perturbation_cosine']]))} | "
          f"{fmt(seconds(f'{name}-exact') / n) if exact else '–'} | {fmt(seconds(f'{name}-spectrum') / n) if exact else '–'} |")
PY
