#!/usr/bin/env bash
# Every command of Notebooks-md/07-where-curvature-comes-from.md, in order. Run from the
# repository root:
#
#   Notebooks-md/scripts/where_curvature_comes_from.sh [all|runs|sweep|check|tables|figures]
#
# Results go to $OUT (default $TMPDIR/curvature-07), figures to Notebooks-md/figures/07-*.png. The binary is
# $CURVATURE (default .build/release/curvature). `runs` (~3 min on 2 cores), `sweep` (~7 min)
# and `check` (~4 min) compute; `tables` and `figures` only read their CSVs.
set -euo pipefail

B=${CURVATURE:-.build/release/curvature}
OUT=${OUT:-${TMPDIR:-/tmp}/curvature-07}
FIG=Notebooks-md/figures
S=Data/models/fmnist-cnn-small-softplus
R=Data/models/fmnist-cnn-small
SOFTPLUS="--models $S-standard.safetensors,$S-pgd.safetensors,$S-cure.safetensors --names normal,pgd,cure"
RELU="--models $R-standard.safetensors,$R-pgd.safetensors,$R-cure.safetensors --names normal,pgd,cure"
COMMON="--data fashion-mnist --split test --samples 100 --k 10 --epsilons 0 --figure-samples 0"
what=${1:-all}
mkdir -p "$OUT"

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

runs() {
    # 1. The parts' and the margin Hessian's profiles (compare: 100 images, top or bottom 10).
    $B compare $SOFTPLUS $COMMON --part full                       --out-dir "$OUT/sp-full"
    $B compare $SOFTPLUS $COMMON --part full         --which smallest --out-dir "$OUT/sp-full-bottom"
    $B compare $SOFTPLUS $COMMON --part gauss-newton               --out-dir "$OUT/sp-gn"
    $B compare $SOFTPLUS $COMMON --part residual                   --out-dir "$OUT/sp-res"
    $B compare $SOFTPLUS $COMMON --part residual     --which smallest --out-dir "$OUT/sp-res-bottom"
    $B compare $SOFTPLUS $COMMON --objective margin                --out-dir "$OUT/sp-margin"
    $B compare $SOFTPLUS $COMMON --objective margin  --which smallest --out-dir "$OUT/sp-margin-bottom"
    $B compare $RELU     $COMMON --part full                       --out-dir "$OUT/relu-full"
    $B compare $RELU     $COMMON --part gauss-newton               --out-dir "$OUT/relu-gn"
    $B compare $RELU     $COMMON --part residual                   --out-dir "$OUT/relu-res"
    $B compare $RELU     $COMMON --objective margin                --out-dir "$OUT/relu-margin"
    # 2. Gradient norms: the loss's and the margin's, with their top eigenvalues, per model.
    for fam in softplus relu; do
        for m in standard pgd cure; do
            if [ $fam = softplus ]; then model=$S-$m.safetensors; else model=$R-$m.safetensors; fi
            $B spectrum --model $model --data fashion-mnist --samples 100 --k 10 --gradient-norm --out "$OUT/grad-$fam-$m-loss.csv"
            $B spectrum --model $model --data fashion-mnist --samples 100 --k 10 --gradient-norm --objective margin --out "$OUT/grad-$fam-$m-margin.csv"
        done
    done
}

sweep() {
    # 3. The h-sweep: finite-scale loss Hessian at four scales, first 12 test images.
    for fam in relu softplus; do
        for m in standard pgd cure; do
            if [ $fam = softplus ]; then model=$S-$m.safetensors; else model=$R-$m.safetensors; fi
            /usr/bin/time -f "$fam $m: %e s wall" \
                $B spectrum --model $model --data fashion-mnist --samples 12 --hessian finite --h 0.01,0.03,0.1,0.3 --method lanczos --k 5 --out "$OUT/sweep-$fam-$m.csv"
        done
    done
}

check() {
    # 4. Round-off check of the smallest scales: the same sweep in Float64 (two models, h = 0.01, 0.03).
    $B spectrum --model $S-standard.safetensors --data fashion-mnist --samples 12 --hessian finite --h 0.01,0.03 --method lanczos --k 5 --dtype float64 --out "$OUT/f64-softplus-standard.csv"
    $B spectrum --model $R-pgd.safetensors --data fashion-mnist --samples 12 --hessian finite --h 0.01,0.03 --method lanczos --k 5 --dtype float64 --out "$OUT/f64-relu-pgd.csv"
    for f in softplus-standard relu-pgd; do
        for h in 0.01 0.03; do
            printf '%s h = %s: largest |λ₁(float64) / λ₁(float32) − 1| over 12 images: ' $f $h
            awk -F, -v h=$h 'FNR == NR {if (FNR > 1 && $NF == h && $4 == 1) a[$1] = $5; next}
                             FNR > 1 && $NF == h && $4 == 1 {d = $5 / a[$1] - 1; d = d < 0 ? -d : d; if (d > m) m = d} END {printf "%.2g\n", m}' \
                "$OUT/sweep-$f.csv" "$OUT/f64-$f.csv"
        done
    done
}

# Per image: the top eigenvalue (rank 1) of a compare spectra.csv, as "model,sample,value".
top_of() { awk -F, 'NR > 1 && $5 == 1 {print $1 "," $2 "," $6}' "$1"; }
# Per image: the largest |λ| from a top and a bottom compare run, as "model,sample,value".
abs_of() {
    awk -F, 'FNR == 1 {next} FNR == NR {if ($5 == 1) top[$1 "," $2] = $6; next}
             $5 == 784 {k = $1 "," $2; v = -$6; if (top[k] > v) v = top[k]; print k "," (v < 0 ? -v : v)}' "$1" "$2"
}
col_median() { awk -F, -v m="$1" '$1 == m {print $3}' | median; }

tables() {
    echo "## Headline (median over the first 100 test images)"
    echo
    echo "| family | model | clean acc | full λ₁ | Gauss–Newton λ₁ | residual max abs λ | margin max abs λ | λ₁/‖∇ℓ‖ | margin max abs λ/‖∇m‖ | ‖∇m‖ | ‖∇ℓ‖/‖∇m‖ |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for fam in softplus relu; do
        if [ $fam = softplus ]; then P=sp; else P=relu; fi
        for m in normal pgd cure; do
            f=$m; [ $m = normal ] && f=standard
            acc=$(awk -F'|' -v m=" $m " '$2 == m {gsub(/ /, "", $5); print $5}' "$OUT/$P-full/summary.md")
            full=$(top_of "$OUT/$P-full/spectra.csv" | col_median $m)
            gn=$(top_of "$OUT/$P-gn/spectra.csv" | col_median $m)
            if [ $fam = softplus ]; then
                res=$(abs_of "$OUT/sp-res/spectra.csv" "$OUT/sp-res-bottom/spectra.csv" | col_median $m)
                mar=$(abs_of "$OUT/sp-margin/spectra.csv" "$OUT/sp-margin-bottom/spectra.csv" | col_median $m)
                # |λ|max of the margin Hessian over ‖∇m‖, image by image.
                marg=$(abs_of "$OUT/sp-margin/spectra.csv" "$OUT/sp-margin-bottom/spectra.csv" | awk -F, -v m=$m '$1 == m {print $2 "," $3}' |
                    awk -F, 'FNR == NR {a[$1] = $2; next} FNR > 1 && $4 == 1 {print a[$1] / $7}' - "$OUT/grad-$fam-$f-margin.csv" | median)
            else
                res=$(top_of "$OUT/relu-res/spectra.csv" | col_median $m)
                mar=$(top_of "$OUT/relu-margin/spectra.csv" | col_median $m)
                marg=0
            fi
            rel=$(awk -F, 'NR > 1 && $4 == 1 {print $5 / $7}' "$OUT/grad-$fam-$f-loss.csv" | median)
            gm=$(awk -F, 'NR > 1 && $4 == 1 {print $7}' "$OUT/grad-$fam-$f-margin.csv" | median)
            ratio=$(awk -F, 'FNR == NR {if (FNR > 1 && $4 == 1) g[$1] = $7; next} FNR > 1 && $4 == 1 {print g[$1] / $7}' \
                "$OUT/grad-$fam-$f-loss.csv" "$OUT/grad-$fam-$f-margin.csv" | median)
            printf '| %s | %s | %s | %.4g | %.4g | %.4g | %.4g | %.4g | %.4g | %.4g | %.3g |\n' \
                $fam $m "$acc" "$full" "$gn" "$res" "$mar" "$rel" "$marg" "$gm" "$ratio"
        done
    done
    echo
    echo "## Means and tails of the top eigenvalue (100 images; p10 and p90 from profile.csv, rank 1)"
    echo
    echo "| family | model | Hessian | mean | p10 | median | p90 |"
    echo "| --- | --- | --- | ---: | ---: | ---: | ---: |"
    for d in sp-full sp-gn sp-res sp-margin relu-full; do
        awk -F, -v d=$d 'NR > 1 && $2 == 1 {printf "| %s | %s | %s, top | %.4g | %.4g | %.4g | %.4g |\n", (d ~ /^sp/ ? "softplus" : "relu"), $1, d, $3, $5, $4, $6}' "$OUT/$d/profile.csv"
    done
    for d in sp-full-bottom sp-res-bottom sp-margin-bottom; do
        awk -F, -v d=$d 'NR > 1 && $2 == 784 {printf "| softplus | %s | %s, bottom | %.4g | %.4g | %.4g | %.4g |\n", $1, d, $3, $5, $4, $6}' "$OUT/$d/profile.csv"
    done
    echo
    echo "## Check of the two-class reading: Gauss–Newton λ₁ / [r(1 − r)‖∇m‖²], r = ‖∇ℓ‖/‖∇m‖, per image (100 images)"
    echo
    echo "| family | model | p10 | median | p90 | images within 0.8–1.2 |"
    echo "| --- | --- | ---: | ---: | ---: | ---: |"
    for fam in softplus relu; do
        if [ $fam = softplus ]; then P=sp; else P=relu; fi
        for f in standard pgd cure; do
            m=$f; [ $f = standard ] && m=normal
            awk -F, -v m=$m 'FILENAME ~ /-loss.csv$/ {if (FNR > 1 && $4 == 1) gl[$1] = $7; next}
                             FILENAME ~ /-margin.csv$/ {if (FNR > 1 && $4 == 1) gm[$1] = $7; next}
                             FNR > 1 && $1 == m && $5 == 1 {r = gl[$2] / gm[$2]; print $6 / (r * (1 - r) * gm[$2] ^ 2)}' \
                "$OUT/grad-$fam-$f-loss.csv" "$OUT/grad-$fam-$f-margin.csv" "$OUT/$P-gn/spectra.csv" | sort -g |
                awk -v fam=$fam -v m=$m '{a[NR] = $1; k += ($1 > 0.8 && $1 < 1.2)} END {printf "| %s | %s | %.3g | %.3g | %.3g | %d/%d |\n", fam, m, a[int(NR * 0.1) + 1], (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[int(NR * 0.9)], k, NR}'
        done
    done
    echo
    echo "## h-sweep: median over the first 12 images of λ₁ of the finite-scale loss Hessian"
    echo
    echo "| family | model | exact (same 12) | h = 0.01 | h = 0.03 | h = 0.1 | h = 0.3 |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    for fam in relu softplus; do
        for m in standard pgd cure; do
            f="$OUT/sweep-$fam-$m.csv"
            [ -f "$f" ] || continue
            ex=$(awk -F, 'NR > 1 && $4 == 1 && $1 < 12 {print $5}' "$OUT/grad-$fam-$m-loss.csv" | median)
            row="| $fam | $m | $(printf '%.4g' "$ex")"
            for h in 0.01 0.03 0.1 0.3; do
                v=$(awk -F, -v h=$h 'NR > 1 && $NF == h && $4 == 1 {print $5}' "$f" | median)
                row="$row | $(printf '%.4g' "$v")"
            done
            echo "$row |"
        done
    done
}

# A profile with both ends of the spectrum: the top (λ, rank 1 = largest) and the bottom drawn as
# −λ (rank 1 = most negative), so that both go on one logarithmic axis.
both_ends() {
    awk -F, 'NR == 1 {print; next} {$1 = $1 " λ"; print}' OFS=, "$1/profile.csv"
    awk -F, 'NR > 1 {printf "%s −λ,%d,%.9g,%.9g,%.9g,%.9g,%s\n", $1, 785 - $2, -$3, -$4, -$6, -$5, $7}' "$2/profile.csv"
}

figures() {
    both_ends "$OUT/sp-full" "$OUT/sp-full-bottom" > "$OUT/07-full-profile.csv"
    both_ends "$OUT/sp-res" "$OUT/sp-res-bottom" > "$OUT/07-residual-profile.csv"
    both_ends "$OUT/sp-margin" "$OUT/sp-margin-bottom" > "$OUT/07-margin-profile.csv"
    $B plot profile --input "$OUT/07-full-profile.csv" --output $FIG/07-softplus-full.png --log-y \
        --title "cnn-small-softplus, full loss Hessian: top 10 λ and bottom 10 (as −λ), 100 Fashion-MNIST test images"
    $B plot profile --input "$OUT/sp-gn/profile.csv" --output $FIG/07-softplus-gauss-newton.png --log-y \
        --title "cnn-small-softplus, Gauss–Newton part Jᵀ(diag p − ppᵀ)J: top 10 λ, same images"
    $B plot profile --input "$OUT/07-residual-profile.csv" --output $FIG/07-softplus-residual.png --log-y \
        --title "cnn-small-softplus, residual part Σₖ gₖ∇²zₖ: top 10 λ and bottom 10 (as −λ), same images"
    $B plot profile --input "$OUT/07-margin-profile.csv" --output $FIG/07-softplus-margin.png --log-y \
        --title "cnn-small-softplus, margin Hessian ∇²(z_y − z_j*): top 10 λ and bottom 10 (as −λ), same images"
    $B plot profile --input "$OUT/relu-full/profile.csv" --output $FIG/07-relu-full.png --log-y \
        --title "cnn-small (ReLU), exact loss Hessian (= Gauss–Newton part): top 10 λ, same images"
}

case $what in
    all) runs; sweep; check; tables; figures ;;
    check) check ;;
    runs) runs ;;
    sweep) sweep ;;
    tables) tables ;;
    figures) figures ;;
    *) echo "usage: $0 [all|runs|sweep|check|tables|figures]" >&2; exit 2 ;;
esac
