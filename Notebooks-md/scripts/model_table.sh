#!/usr/bin/env bash
# The table of Data/README.md: for each shipped model, its training recipe and wall time (from its
# metadata), clean accuracy on the whole test split and PGD-20 (ε = 0.1, α = 2.5ε/20) accuracy on
# the first 1,000 test images (measured now by `curvature eval`), and its sha256.
#   Notebooks-md/scripts/model_table.sh [Data/models/*.safetensors]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${CURVATURE_BIN:-.build/release/curvature}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
models=("$@"); [ ${#models[@]} -gt 0 ] || models=(Data/models/*[^t].safetensors)
echo "| file | data | recipe | train wall time | clean accuracy | PGD-20 ε=0.1 (first 1,000) | sha256 |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for m in "${models[@]}"; do
  case "$m" in *checkpoint*) continue ;; esac
  meta=$(python3 - "$m" <<'PY'
import json, struct, sys
f = open(sys.argv[1], "rb"); n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n))["__metadata__"]
print(h.get("data", "?") + "\t" + h.get("training", "?") + "\t" + h.get("wall_seconds", "?"))
PY
)
  data=$(cut -f1 <<<"$meta"); recipe=$(cut -f2 <<<"$meta"); wall=$(cut -f3 <<<"$meta")
  clean=$("$BIN" eval --model "$m" --data "$data" --split test --attack none --out "$work/eval.csv" --threads 2 2>/dev/null | awk -F, 'NR==2{print $4}')
  robust=$("$BIN" eval --model "$m" --data "$data" --split test --samples 1000 --attack pgd-linf --epsilon 0.1 --steps 20 --out "$work/eval.csv" --threads 2 2>/dev/null | awk -F, 'NR==2{print $4}')
  echo "| \`$(basename "$m")\` | $data | \`$recipe\` | ${wall} s | $clean | $robust | \`$(sha256sum "$m" | cut -c1-16)…\` |"
done
