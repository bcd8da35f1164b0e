#!/usr/bin/env bash
# ResNet-18 at CIFAR scale (issue #11, item 6): a PyTorch CIFAR ResNet-18 state_dict read unchanged
# with --arch resnet18, checked against PyTorch's predictions and dense float64 spectrum, then
# timed: bench hvp at B = 32, the full 3,072-eigenvalue spectrum of one 3×32×32 image, and the
# top 20 of 100 images (Lanczos, and the exact Gauss–Newton route a ReLU network allows).
#
#   Notebooks-md/scripts/resnet18_scale/run.sh [OUT]      (default out/resnet18-scale; 2 threads)
#
# Needs /usr/bin/python3 with PyTorch (Debian's python3-torch) and a release build
# (swift build -c release).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
OUT=${1:-out/resnet18-scale}
BIN=${CURVATURE:-$ROOT/.build/release/curvature}
THREADS=${THREADS:-2}
[ -x "$BIN" ] || { echo "run.sh: no release binary at $BIN (swift build -c release)" >&2; exit 1; }
MODEL=(--model "$OUT/resnet18.safetensors" --arch resnet18 --data "$OUT")
seconds() { local start=$SECONDS; "$@"; echo "  → $((SECONDS - start)) s wall" >&2; }

[ -f "$OUT/reference.json" ] || /usr/bin/python3 "$ROOT/Notebooks-md/scripts/resnet18_scale/make_model_and_data.py" "$OUT" --hessian --threads "$THREADS"
echo "## machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; OpenBLAS core: $("$BIN" bench hvp --model cnn-small --batch 1 --repeats 5 | tail -1 | cut -d, -f7)"
"$BIN" inspect "$OUT/resnet18.safetensors" --arch resnet18 | head -3
echo "## predictions agree with PyTorch's on every image (labels are PyTorch's predictions):"
"$BIN" eval "${MODEL[@]}" --threads "$THREADS" --out "$OUT/eval.csv" 2>/dev/null | tail -1
echo "## bench hvp, B = 32:"
"$BIN" bench hvp --model resnet18 --batch 32 --threads "$THREADS"
echo "## the full spectrum of one image (3,072 eigenvalues, float64, dense):"
seconds "$BIN" spectrum "${MODEL[@]}" --samples 1 --method dense --k 3072 --dtype float64 --threads "$THREADS" --out "$OUT/full-spectrum.csv"
/usr/bin/python3 - "$OUT" <<'PY'
import csv, json, sys
out = sys.argv[1]
reference = json.load(open(f"{out}/reference.json"))["eigenvalues64_image0"]
ours = [float(r["eigenvalue"]) for r in csv.DictReader(open(f"{out}/full-spectrum.csv"))]
scale = abs(reference[0])
print(f"  {len(ours)} eigenvalues; λ1 = {ours[0]:.10g} (PyTorch {reference[0]:.10g}); "
      f"max |Δλ|/|λ1| over all 3,072 = {max(abs(a - b) for a, b in zip(ours, reference)) / scale:.2e}; "
      f"eigenvalues above 1e-9·λ1: {sum(abs(x) > 1e-9 * scale for x in ours)}")
PY
echo "## top 20 of 100 images:"
seconds "$BIN" spectrum "${MODEL[@]}" --samples 100 --k 20 --method lanczos --steps 40 --threads "$THREADS" --out "$OUT/top20-lanczos.csv"
seconds "$BIN" spectrum "${MODEL[@]}" --samples 100 --k 20 --threads "$THREADS" --out "$OUT/top20-route.csv"
/usr/bin/python3 - "$OUT" <<'PY'
import csv, sys
out = sys.argv[1]
def top(name):
    rows = {}
    for r in csv.DictReader(open(f"{out}/{name}")):
        rows.setdefault(int(r["sample"]), []).append(float(r["eigenvalue"]))
    return rows
a, b = top("top20-lanczos.csv"), top("top20-route.csv")
worst = max(abs(x - y) / abs(a[s][0]) for s in a for x, y in zip(a[s][:9], b[s][:9]))
print(f"  top 9 (the Gauss–Newton rank): Lanczos vs the exact route, max |Δλ|/λ1 = {worst:.2e} over {len(a)} images")
PY
