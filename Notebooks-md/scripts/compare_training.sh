#!/usr/bin/env bash
# Wall time of the same training recipes in Curvature and in PyTorch (torch_train.py), measured in
# one sitting on this machine: one epoch on the first N Fashion-MNIST training images, cnn-small,
# batch 128, Adam 1e-3, 2 threads. Prints a Markdown table.
#   Notebooks-md/scripts/compare_training.sh [N=10000] [modes="standard fgsm pgd cure"]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
MODES=${2:-"standard fgsm pgd cure"}
BIN=${CURVATURE_BIN:-.build/release/curvature}
[ -x "$BIN" ] || swift build -c release --product curvature >&2
work=$(mktemp -d)
echo "| mode | images | Curvature s/epoch | PyTorch s/epoch | PyTorch ÷ Curvature |"
echo "| --- | --- | --- | --- | --- |"
for mode in $MODES; do
  extra=(); [ "$mode" = cure ] && extra=(--lambda 4 --h 3)
  start=$(date +%s.%N)
  "$BIN" train --data fashion-mnist --arch cnn-small --mode "$mode" --epochs 1 --train-samples "$N" \
    --robust-samples 0 --threads 2 "${extra[@]}" --out "$work/$mode.safetensors" > "$work/$mode.curvature.csv" 2>/dev/null
  ours=$(awk -F, 'NR==2{print $7}' "$work/$mode.curvature.csv")
  /usr/bin/python3 Notebooks-md/scripts/torch_train.py --mode "$mode" --epochs 1 --limit "$N" --test-limit 1000 \
    --threads 2 "${extra[@]}" > "$work/$mode.torch.csv" 2>/dev/null
  theirs=$(awk -F, '/^1,/{print $6}' "$work/$mode.torch.csv")
  ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN{printf "%.2f", b/a}')
  echo "| $mode | $N | $ours | $theirs | $ratio |"
done
rm -rf "$work"
