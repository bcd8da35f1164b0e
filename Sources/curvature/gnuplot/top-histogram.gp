# top-histogram.gp: histograms of the per-sample top eigenvalue (rank 1), one per model, overlaid.
#
#   gnuplot -e "input='top.csv'; output='top.png'" top-histogram.gp
#   optional: title='…'; logx=1 (bins of equal width in log10, for models whose top
#             eigenvalues differ by orders of magnitude; non-positive values are then left out)
#
# Input: CSV with header model,sample,label,predicted,rank,eigenvalue,residual: per-sample spectra
# of several models concatenated, with a leading model column (columns are found by name), as
# `curvature compare` writes spectra.csv; or one model's, sample,label,predicted,rank,eigenvalue,residual
# as `curvature spectrum` writes it, drawn as one histogram. Only rows with rank 1 are used. All models share one set of bins, of Freedman–Diaconis width over the pooled
# values (see below); a dashed line marks each model's median.

if (!exists("input") || !exists("output")) {
    exit error "top-histogram.gp: set input and output, e.g. gnuplot -e \"input='top.csv'; output='top.png'\" top-histogram.gp"
}
if (!exists("logx")) { logx = 0 }

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: Colours (Okabe–Ito, safe for colour-blind readers)
set linetype 1 lc rgb "#0072B2" lw 1.5
set linetype 2 lc rgb "#D55E00" lw 1.5
set linetype 3 lc rgb "#009E73" lw 1.5
set linetype 4 lc rgb "#CC79A7" lw 1.5
set linetype 5 lc rgb "#E69F00" lw 1.5
set linetype 6 lc rgb "#56B4E9" lw 1.5
set linetype 7 lc rgb "#000000" lw 1.5
set linetype 8 lc rgb "#999999" lw 1.5
set linetype cycle 8

# MARK: Is there a column model? (its name, in any position, in the header) Without one the file
# is one model, named "".
named = 0
stats input every ::0::0 using (named = sum [c=1:100] (columnhead(c) eq "model" ? 1 : 0), 0) nooutput
which(x) = named ? strcol("model") : ""

# MARK: The models with top eigenvalues to show, in order of first appearance, and the scale
# t(v) of the bins: v itself, or log10 v with logx=1
t(v) = logx ? log10(v) : v
u(x) = logx ? 10**x : x
usable(v) = !logx || v > 0
names = "|"
count = 0
left = 0
add(s, v) = !usable(v) ? (left = left + 1, 0) : \
    strstrt(names, "|".s."|") == 0 ? (names = names.s."|", count = count + 1, 0) : 0
stats input using (column("rank") == 1 ? add(which(0), column("eigenvalue")) : 0) nooutput
if (count == 0) { exit error "top-histogram.gp: no rows with rank 1".(logx ? " and a positive eigenvalue" : "")." in ".input }
if (left > 0) { print sprintf("top-histogram.gp: logx leaves out %d top eigenvalue(s) ≤ 0", left) }
array model[count]
rest = names[2:]
do for [i=1:count] { p = strstrt(rest, "|"); model[i] = rest[1:p-1]; rest = rest[p+1:] }

# MARK: The top eigenvalues of each model, on the scale t, in $V (one block per model)
num(x) = sprintf("%.10g", x)
undefine $V  # blocks are appended below: start afresh, even when loaded twice
do for [i=1:count] {
    set table $V append
    plot input using (num(t(column("eigenvalue")))) \
        with table if (column("rank") == 1 && which(0) eq model[i] && usable(column("eigenvalue")))
    unset table
    set print $V append
    print ""
    print ""
    unset print
}
set datafile separator whitespace
set datafile nocolumnheaders
set key noautotitle

# MARK: Sizes and medians per model, and bins shared by all models: the narrowest of the models'
# Freedman–Diaconis widths, 2 IQR / n^(1/3), kept between 10 and 60 bins over the pooled range
array size[count]
array middle[count]
width = NaN
do for [i=1:count] {
    stats $V index (i - 1) using 1 nooutput
    size[i] = STATS_records
    middle[i] = u(STATS_median)
    fd = 2 * (STATS_up_quartile - STATS_lo_quartile) / STATS_records**(1.0 / 3)
    if (fd > 0 && !(width <= fd)) { width = fd }
}
stats $V using 1 nooutput
low = STATS_min
span = STATS_max - STATS_min
if (span == 0) {
    width = abs(low) > 0 ? abs(low) / 10 : 1
    low = low - width / 2
} else {
    if (!(width > 0) || span / width > 60) { width = span / 60 }
    if (span / width < 10) { width = span / 10 }
}
bin(x) = low + width * (floor((x - low) / width) + 0.5)

# MARK: Counts per model and bin in $H (one block per model)
set xrange [low - width:low + span + width]
set yrange [0:*]
set table $H
plot for [i=1:count] $V index (i - 1) using (bin($1)):(1) smooth frequency
unset table
set autoscale
stats $H using 2 nooutput
highest = STATS_max

# MARK: Figure
set terminal pngcairo size 900,600 enhanced font ",11"
set output output
if (exists("title")) { set title title noenhanced font ",13" }
set xlabel "top eigenvalue of ∇²ₓℓ (rank 1)"
set ylabel "samples"
set border 3
set tics nomirror out
set style line 100 lc rgb "#e5e5e5" lw 1 dt solid
set grid ls 100
if (logx) { set logscale x; set format x "10^{%L}" }
# Headroom for the key (its title and one line per model) above the highest bar and the medians:
# the bars keep the part of the height the key leaves, and at least 40 %
free = 0.95 - 0.04 * (count + 1)
set yrange [0:highest * 1.05 / (free > 0.4 ? free : 0.4)]
set key top right Left reverse noenhanced samplen 2 spacing 1.2
set key title "dashed: median"
do for [i=1:count] {
    set arrow i from middle[i], 0 to middle[i], highest * 1.05 nohead lt i dt 2 lw 1.5 front
}
label(i) = model[i] eq "" ? sprintf("n = %d, median %.3g", size[i], middle[i]) : sprintf("%s (n = %d, median %.3g)", model[i], size[i], middle[i])
plot for [i=1:count] $H index (i-1) using (u($1)):2:(u($1 - width / 2)):(u($1 + width / 2)):(0):2 \
    with boxxyerror fs transparent solid 0.35 border lt i title label(i)
