#!/usr/bin/env bash
# Notebook 02's robustness columns re-measured: PGD-20 and AutoAttack (standard ℓ∞ ensemble:
# APGD-CE, APGD-T, FAB-T, Square) on the study's Fashion-MNIST test images, for the shipped
# normal / PGD / CURE cnn-small models of both families (ReLU, softplus).
#
#   Notebooks-md/scripts/study_autoattack.sh [OUT_DIR] [SAMPLES]     (defaults: study-autoattack, 200)
#
# Writes OUT_DIR/<model>-{pgd,autoattack}.csv (eval's rows, AutoAttack's masking checks in the
# .meta.json beside them) and prints one Markdown table: accuracy under each attack per ε, and
# the gap (PGD-20 − AutoAttack) in points. Needs a release build (swift build -c release).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-study-autoattack}
SAMPLES=${2:-200}
CURVATURE=${CURVATURE:-$ROOT/.build/release/curvature}
EPSILONS=0.05,0.1,0.15
[ -x "$CURVATURE" ] || { echo "study_autoattack.sh: no release build at $CURVATURE (swift build -c release)" >&2; exit 1; }
mkdir -p "$OUT"

models=()
for family in cnn-small cnn-small-softplus; do
    for kind in standard pgd cure; do models+=("fmnist-$family-$kind"); done
done

for model in "${models[@]}"; do
    for attack in pgd autoattack; do
        csv="$OUT/$model-$attack.csv"
        [ -s "$csv" ] && continue
        case $attack in
            pgd) flags=(--attack pgd-linf --steps 20) ;;
            autoattack) flags=(--attack autoattack-linf) ;;
        esac
        start=$SECONDS
        # eval writes its CSV atomically: a file here is a finished evaluation.
        "$CURVATURE" eval --model "$ROOT/Data/models/$model.safetensors" --data fashion-mnist --split test \
            --samples "$SAMPLES" --epsilon "$EPSILONS" "${flags[@]}" --out "$csv" >/dev/null
        echo "study_autoattack.sh: $model $attack: $((SECONDS - start)) s" >&2
    done
done

python3 - "$OUT" "${models[@]}" <<'EOF'
import csv, os, sys
out, models = sys.argv[1], sys.argv[2:]
def accuracies(path):
    with open(path) as f:
        return {float(r["epsilon"]): float(r["accuracy"]) for r in csv.DictReader(f)}
epsilons = [0.05, 0.1, 0.15]
print("| model | " + " | ".join(f"ε = {e}: PGD-20 / AA (gap)" for e in epsilons) + " |")
print("| --- |" + " --- |" * len(epsilons))
for model in models:
    pgd = accuracies(os.path.join(out, f"{model}-pgd.csv"))
    aa = accuracies(os.path.join(out, f"{model}-autoattack.csv"))
    cells = [f"{100 * pgd[e]:.1f} % / {100 * aa[e]:.1f} % ({100 * (pgd[e] - aa[e]):+.1f})" for e in epsilons]
    print(f"| {model.removeprefix('fmnist-')} | " + " | ".join(cells) + " |")
EOF
