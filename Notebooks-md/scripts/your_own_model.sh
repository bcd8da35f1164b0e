#!/usr/bin/env bash
# Every command of Notebooks-md/06-your-own-model.md, in order:
#
#   Notebooks-md/scripts/your_own_model.sh [OUT] [all|train|eval|compare|figures|check|bench]
#
# OUT (default out/your-own-model, relative to the repository root) receives the models, CSVs and
# logs; the figures go to Notebooks-md/figures/06-*.png. Each step's wall time is appended to
# OUT/times.txt. Python is Debian's /usr/bin/python3 (PyTorch 1.13 CPU); the binary is
# $CURVATURE (default .build/release/curvature; build it with `swift build -c release`).
set -euo pipefail

cd "$(dirname "$0")/../.."  # the repository root: every path below is relative to it
OUT=${1:-out/your-own-model}
what=${2:-all}
B=${CURVATURE:-.build/release/curvature}
PY=/usr/bin/python3
S=Notebooks-md/scripts/your_own_model
FIG=Notebooks-md/figures
mkdir -p "$OUT"
# shellcheck source=your_own_model/timed.sh
. "$S/timed.sh"

train() {
    # 1. Train in PyTorch and export (model.onnx, model-f64.onnx, model.pt in each folder).
    timed train-normal $PY $S/train_resnet.py --mode normal --out "$OUT/normal" | tee "$OUT/train-normal.log"
    timed train-pgd $PY $S/train_resnet.py --mode pgd --out "$OUT/pgd" | tee "$OUT/train-pgd.log"
    # The same ResNet, untrained, at CIFAR's shape: only for timing (no CIFAR-10 on this machine).
    timed export-cifar $PY $S/train_resnet.py --export-only --input-shape 3,32,32 --out "$OUT/cifar-untrained"
}

eval_models() {
    # 2. Clean accuracy on the whole test set (must equal PyTorch's count), PGD-20 on the first 1000.
    for m in normal pgd; do
        timed eval-clean-$m $B eval --model "$OUT/$m/model.onnx" --data fashion-mnist --out "$OUT/eval-clean-$m.csv"
        timed eval-pgd-$m $B eval --model "$OUT/$m/model.onnx" --data fashion-mnist --samples 1000 \
            --attack pgd-linf --epsilon 0.05,0.1,0.15 --out "$OUT/eval-pgd-$m.csv"
    done
}

compare() {
    # 3. The study of notebook 02 on the two ONNX models: exact top-10 spectra (Gauss–Newton route,
    #    the network being piecewise linear), PGD-20 accuracies and the image figure, 200 images.
    timed compare $B compare --models "$OUT/normal/model.onnx,$OUT/pgd/model.onnx" --names normal,pgd \
        --data fashion-mnist --split test --samples 200 --k 10 --epsilons 0,0.05,0.1,0.15 --out-dir "$OUT/compare"
}

figures() {
    $B plot profile --input "$OUT/compare/profile.csv" --output $FIG/06-profile.png --log-y \
        --title "ResNet (PyTorch → ONNX), Fashion-MNIST: input-Hessian eigenvalue profile, 200 test images"
    $B plot top-histogram --input "$OUT/compare/spectra.csv" --output $FIG/06-top-eigenvalue.png --log-x
    $B plot accuracy --input "$OUT/compare/eval.csv" --output $FIG/06-accuracy.png
    $B plot images --input "$OUT/compare/images.csv" --output $FIG/06-images.png \
        --titles "$(cat "$OUT/compare/images.titles")" --columns "$(cat "$OUT/compare/images.columns")"
}

check() {
    # 4. Float64 top-10 spectra of 5 images from the float32 export, the float64 export, and the
    #    float64 export by Lanczos (HVPs through the ONNX graph), against PyTorch's dense Hessian:
    #    the float64 files against the float64 twin from model.pt; the float32 file against the
    #    twin carrying that file's own (BN-folded, float32-rounded) weights; and, to show what the
    #    rounding alone does, the float32 file against the model.pt twin (looser tolerance).
    for m in normal pgd; do
        timed spectrum-$m-f32 $B spectrum --model "$OUT/$m/model.onnx" --data fashion-mnist --dtype float64 \
            --samples 5 --k 10 --out "$OUT/spectrum-$m-f32weights.csv"
        timed spectrum-$m-f64 $B spectrum --model "$OUT/$m/model-f64.onnx" --data fashion-mnist --dtype float64 \
            --samples 5 --k 10 --out "$OUT/spectrum-$m-f64weights.csv"
        timed spectrum-$m-f64-lanczos $B spectrum --model "$OUT/$m/model-f64.onnx" --data fashion-mnist --dtype float64 \
            --samples 5 --k 10 --method lanczos --steps 40 --out "$OUT/spectrum-$m-f64weights-lanczos.csv"
        timed torch-check-$m-f64 $PY $S/torch_input_hessian.py "$OUT/$m" "$OUT/spectrum-$m-f64weights.csv" \
            "$OUT/spectrum-$m-f64weights-lanczos.csv" --tolerance 1e-10 | tee "$OUT/torch-check-$m-f64.txt"
        timed torch-check-$m-f32-own $PY $S/torch_input_hessian.py "$OUT/$m" "$OUT/spectrum-$m-f32weights.csv" \
            --weights-from "$OUT/$m/model.onnx" --tolerance 1e-10 | tee "$OUT/torch-check-$m-f32-own.txt"
        timed torch-check-$m-f32-pt $PY $S/torch_input_hessian.py "$OUT/$m" "$OUT/spectrum-$m-f32weights.csv" \
            --tolerance 1e-5 | tee "$OUT/torch-check-$m-f32-pt.txt"
    done
}

bench() {
    # 5. Cost: batched input-HVPs of the ResNet at Fashion-MNIST's and CIFAR's shapes (2 threads),
    #    and a real top-20 Lanczos (40 steps) on 32 Fashion-MNIST images to check the estimate.
    $B bench hvp --model "$OUT/normal/model.onnx" --batch 32 --threads 2 | tee "$OUT/bench.csv"
    $B bench hvp --model "$OUT/cifar-untrained/model.onnx" --batch 32 --threads 2 --no-header | tee -a "$OUT/bench.csv"
    timed lanczos-32 $B spectrum --model "$OUT/normal/model.onnx" --data fashion-mnist --samples 32 --batch-size 32 \
        --method lanczos --k 20 --steps 40 --threads 2 --out "$OUT/lanczos-32.csv"
}

case $what in
    all) train; eval_models; compare; figures; check; bench ;;
    train) train ;;
    eval) eval_models ;;
    compare) compare ;;
    figures) figures ;;
    check) check ;;
    bench) bench ;;
    *) echo "usage: $0 [OUT] [all|train|eval|compare|figures|check|bench]" >&2; exit 2 ;;
esac
