#!/usr/bin/env bash
# Every figure of Notebooks-md/05-performance.md, redrawn from the CSVs under Notebooks-md/figures/
# (no benchmark runs; needs gnuplot):
#
#   bench-standing-epyc.png   the last run on the AMD EPYC (Zen 4) in bench-history.csv, as bars
#   bench-standing-xeon.png   the same for the Intel Xeon (family 6 model 207)
#   bench-history.png         Curvature's HVP/s ÷ JAX's per workload over every run of bench-history.csv
#   bench-2026-11-25.png      the rows `bench_peers.sh --csv` wrote on 2026-11-25
#
# bench-history.csv holds the medians of the notebook's tables, one row per (run, workload, tool):
# only the first run kept its --csv rows (bench-2026-11-25.csv), the later ones their tables.
#
#   Notebooks-md/scripts/performance_figures.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
figures=$(cd "$here/../figures" && pwd)
history=$figures/bench-history.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ "$(head -1 "$history")" = "date,sitting,cpu,commit,curvature_times,workload,threads,tool,hvp_per_s" ] \
  || { echo "$0: $history: unexpected header" >&2; exit 1; }

chart() { # chart INPUT OUTPUT TITLE
  gnuplot -e "input='$1'; output='$2'; title='$3'" "$here/bench_chart.gp"
  echo "wrote $2"
}

# MARK: The standing: per CPU kind its last run, in bench_peers.sh's --csv layout for bench_chart.gp.
standing() { # standing CPU NAME FIGURE
  awk -F, -v cpu="$1" 'NR > 1 && $3 == cpu { last = $1 FS $2 FS $4 } END { print last }' "$history" > "$tmp/run"
  IFS=, read -r date sitting commit < "$tmp/run"
  [ -n "$date" ] || { echo "$0: no run on $1 in $history" >&2; exit 1; }
  awk -F, -v OFS=, -v run="$date,$sitting,$commit" 'NR == 1 { print "workload,threads,tool,grad_per_s,hvp_per_s,peak_rss_mb"; next }
    $1 FS $2 FS $4 == run { print $6, $7, $8, "", $9, "" }' "$history" > "$tmp/standing.csv"
  chart "$tmp/standing.csv" "$figures/$3" "Input-HVP/s on $2, $date${sitting:+ $sitting UTC}, Curvature at $commit"
}
standing "AMD EPYC family 25 model 17 (Zen 4)" "AMD EPYC (Zen 4)" bench-standing-epyc.png
standing "Intel Xeon family 6 model 207" "Intel Xeon (family 6 model 207)" bench-standing-xeon.png

# MARK: The history: Curvature ÷ JAX per (run, workload), one block per workload for bench_history.gp.
awk -F, -v OFS=, '
  NR == 1 { next }
  {
    key = $1 FS $2 FS $4
    if (!(key in run)) {
      run[key] = ++runs
      day[runs] = substr($1, 6); sitting[runs] = $2; commit[runs] = $4; cpu[runs] = $3
      alone[runs] = ($5 == "HVP") ? 1 : 0
    }
    rate[run[key], $6, $8] = $9
  }
  END {
    split("mlp B=1|mlp B=128|cnn B=1|cnn B=128|resnet18 B=32", workload, "|")
    for (k = 1; k <= 5; k++) {
      if (k > 1) printf "\n\n"
      printed = 0; previous = ""
      for (r = 1; r <= runs; r++) {
        c = rate[r, workload[k], "curvature"]; j = rate[r, workload[k], "jax"]
        if (c == "" || j == "") continue
        if (printed && cpu[r] != previous) print ""
        print r, day[r], sitting[r], commit[r], cpu[r], workload[k], c / j, alone[r]
        printed = 1; previous = cpu[r]
      }
      if (!printed) print 0, "", "", "", "", workload[k], "NaN", 0
    }
  }' "$history" > "$tmp/ratios.csv"
gnuplot -e "input='$tmp/ratios.csv'; output='$figures/bench-history.png'" "$here/bench_history.gp"
echo "wrote $figures/bench-history.png"

chart "$figures/bench-2026-11-25.csv" "$figures/bench-2026-11-25.png" \
  "Input-HVP/s on AMD EPYC, 2026-11-25, Curvature at 8137970"
