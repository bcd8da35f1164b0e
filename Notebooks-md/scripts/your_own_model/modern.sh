#!/usr/bin/env bash
# The commands of Notebooks-md/06-your-own-model.md's section on a tiny ViT and a Swish WideResNet:
#
#   Notebooks-md/scripts/your_own_model/modern.sh [OUT] [all|train|inspect|eval|spectrum|check|compare|figures]
#
# OUT (default out/modern, relative to the repository root) receives the models, CSVs and logs;
# the figures go to Notebooks-md/figures/06-modern-*.png. Each step's wall time is appended to
# OUT/times.txt. Python is Debian's /usr/bin/python3 (PyTorch 1.13 CPU); the binary is
# $CURVATURE (default .build/release/curvature).
set -euo pipefail

cd "$(dirname "$0")/../../.."  # the repository root: every path below is relative to it
OUT=${1:-out/modern}
what=${2:-all}
B=${CURVATURE:-.build/release/curvature}
PY=/usr/bin/python3
S=Notebooks-md/scripts/your_own_model
FIG=Notebooks-md/figures
MODELS=${MODELS:-vit wrn}  # e.g. MODELS=vit to redo one model
mkdir -p "$OUT"
# shellcheck source=timed.sh
. "$S/timed.sh"

train() {
    # Seeded 10,000 training images, 2 epochs, one PyTorch thread; writes model.onnx (opset 17),
    # model-f64.onnx and model.pt in OUT/vit and OUT/wrn.
    for m in $MODELS; do
        timed train-$m $PY $S/train_modern.py train --arch $m --out "$OUT/$m" 2>&1 | grep -v Warning | tee "$OUT/train-$m.log"
    done
}

inspect() {
    for m in $MODELS; do
        timed inspect-$m $B inspect "$OUT/$m/model.onnx" | tee "$OUT/inspect-$m.txt"
    done
}

eval_models() {
    # Clean accuracy on the 10,000 test images, with the logits; the first 300 against PyTorch's.
    for m in $MODELS; do
        timed eval-$m $B eval --model "$OUT/$m/model.onnx" --data fashion-mnist --logits "$OUT/logits-$m.npy" \
            --out "$OUT/eval-$m.csv"
        $PY $S/train_modern.py logits "$OUT/$m" "$OUT/logits-$m.npy" --samples 300 | tee "$OUT/logits-$m.txt"
    done
}

spectrum() {
    # Top-10 by converging block Lanczos (the default for a smooth network), first 100 test images:
    # the float32 export in float32, and the float64 export in float64.
    for m in $MODELS; do
        timed spectrum-$m-f32 $B spectrum --model "$OUT/$m/model.onnx" --data fashion-mnist --samples 100 --k 10 \
            --out "$OUT/spectrum-$m-f32.csv"
        timed spectrum-$m-f64 $B spectrum --model "$OUT/$m/model-f64.onnx" --data fashion-mnist --dtype float64 \
            --samples 100 --k 10 --out "$OUT/spectrum-$m-f64.csv"
        $PY $S/train_modern.py agree "$OUT/spectrum-$m-f32.csv" "$OUT/spectrum-$m-f64.csv" | tee "$OUT/agree-$m.txt"
    done
}

check() {
    # PyTorch's dense float64 input Hessian of the twin on the first 3 images against the spectra:
    # the float64 export (default Lanczos tolerance; then converged to 1e-12, against a twin whose
    # LayerNorm and unfolded BatchNorm ε are rounded to float32 as the file stores them), and the
    # float32 export.
    for m in $MODELS; do
        timed spectrum-$m-f64-tight $B spectrum --model "$OUT/$m/model-f64.onnx" --data fashion-mnist \
            --dtype float64 --samples 3 --k 10 --tol 1e-12 --out "$OUT/spectrum-$m-f64-tight.csv"
        timed torch-check-$m $PY $S/torch_input_hessian.py "$OUT/$m" "$OUT/spectrum-$m-f64.csv" \
            --max-samples 3 --tolerance 1e-8 | tee "$OUT/torch-check-$m-f64.txt"
        timed torch-check-$m-tight $PY $S/torch_input_hessian.py "$OUT/$m" "$OUT/spectrum-$m-f64-tight.csv" \
            --max-samples 3 --epsilons-from "$OUT/$m/model-f64.onnx" --tolerance 1e-12 | tee "$OUT/torch-check-$m-f64-tight.txt"
        timed torch-check-$m-f32 $PY $S/torch_input_hessian.py "$OUT/$m" "$OUT/spectrum-$m-f32.csv" \
            --max-samples 3 --tolerance 1e-3 | tee "$OUT/torch-check-$m-f32.txt"
    done
}

compare() {
    # The study of notebook 02 on the two networks: top-10 spectra and PGD-20 at each ε, 100 images.
    timed compare $B compare --models "$OUT/vit/model.onnx,$OUT/wrn/model.onnx" --names vit,wrn \
        --data fashion-mnist --split test --samples 100 --k 10 --epsilons 0,0.02,0.05,0.1 \
        --robust-attacks pgd --out-dir "$OUT/compare" | tee "$OUT/compare.txt"
}

figures() {
    $B plot profile --input "$OUT/compare/profile.csv" --output $FIG/06-modern-profile.png --log-y \
        --title "Tiny ViT and WRN-10-2 Swish (PyTorch → ONNX), Fashion-MNIST: input-Hessian profile, 100 test images"
    $B plot top-histogram --input "$OUT/compare/spectra.csv" --output $FIG/06-modern-top-eigenvalue.png --log-x
}

case $what in
    all) train; inspect; eval_models; spectrum; check; compare; figures ;;
    train) train ;;
    inspect) inspect ;;
    eval) eval_models ;;
    spectrum) spectrum ;;
    check) check ;;
    compare) compare ;;
    figures) figures ;;
    *) echo "usage: $0 [OUT] [all|train|inspect|eval|spectrum|check|compare|figures]" >&2; exit 2 ;;
esac
