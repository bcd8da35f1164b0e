#!/usr/bin/env bash
# The summary table of Notebooks-md/03: for each full-spectrum CSV of `curvature spectrum --method
# dense --k 784`, the mean over samples of λ₁ (largest), λ_d (smallest), and of the number of
# eigenvalues above +τ and below −τ, τ = 10⁻⁶·|λ₁| of the same sample (smaller ones are Float32
# noise around an exact zero).
#   Notebooks-md/scripts/spectrum_summary.sh LABEL=FILE.csv [LABEL=FILE.csv …]
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 LABEL=spectrum.csv …" >&2; exit 2; }
echo "| spectrum | samples | mean λ₁ | mean λ_d | eigenvalues > 0 | eigenvalues < 0 |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for pair in "$@"; do
  label=${pair%=*}; file=${pair##*=}
  awk -F, -v label="$label" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; if (!("sample" in col) || !("eigenvalue" in col)) { print FILENAME ": not a spectrum CSV" > "/dev/stderr"; exit 1 }; next }
    { s = $col["sample"]; v = $col["eigenvalue"] + 0
      if (!(s in top) || v > top[s]) top[s] = v
      if (!(s in bottom) || v < bottom[s]) bottom[s] = v
      values[s] = values[s] " " v }
    END {
      n = 0
      for (s in top) {
        n++; sumTop += top[s]; sumBottom += bottom[s]
        tau = 1e-6 * (top[s] < 0 ? -top[s] : top[s])
        split(substr(values[s], 2), list, " ")
        for (i in list) { if (list[i] + 0 > tau) positive++; else if (list[i] + 0 < -tau) negative++ }
      }
      printf "| %s | %d | %.4g | %.4g | %.1f | %.1f |\n", label, n, sumTop / n, sumBottom / n, positive / n, negative / n
    }' "$file"
done
