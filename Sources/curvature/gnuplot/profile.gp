# profile.gp: the eigenvalue profile of several models on one set of axes.
#
#   gnuplot -e "input='profile.csv'; output='profile.png'" profile.gp
#   optional: title='…'; logy=1 (logarithmic eigenvalue axis, for models whose eigenvalues
#             span orders of magnitude; see "logy" below)
#
# Input: CSV with header model,rank,mean,median,p10,p90,samples, one row per model and rank
# (columns are found by name). Each model is drawn as its median eigenvalue against rank with a
# shaded band from the 10th to the 90th percentile over samples, in order of first appearance.
#
# logy: medians ≤ 0 are left out of the lines (the line breaks there), with a note on stderr
# saying how many. The axis starts at a floor: the power of ten at or below base / 3, where base
# is the larger of the smallest positive median or p10 and 10⁻⁶ × the largest value (p90 or
# median). So the smallest positive median and band edge sit at least half a decade above the
# bottom, unless below 10⁻⁶ of the top: then, like Float32 round-off (~1e-9) in the tail of a
# spectrum, they are not allowed to stretch the axis over ten decades, and leave through the
# bottom. The band's edges p10 and p90 are clipped to the floor, so a band with p10 ≤ 0 still draws.

if (!exists("input") || !exists("output")) {
    exit error "profile.gp: set input and output, e.g. gnuplot -e \"input='profile.csv'; output='profile.png'\" profile.gp"
}
if (!exists("logy")) { logy = 0 }

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: Colours (Okabe–Ito, safe for colour-blind readers)
set linetype 1 lc rgb "#0072B2" lw 2
set linetype 2 lc rgb "#D55E00" lw 2
set linetype 3 lc rgb "#009E73" lw 2
set linetype 4 lc rgb "#CC79A7" lw 2
set linetype 5 lc rgb "#E69F00" lw 2
set linetype 6 lc rgb "#56B4E9" lw 2
set linetype 7 lc rgb "#000000" lw 2
set linetype 8 lc rgb "#999999" lw 2
set linetype cycle 8

# MARK: The models, in order of first appearance
names = "|"
count = 0
add(s) = strstrt(names, "|".s."|") == 0 ? (names = names.s."|", count = count + 1, 0) : 0
stats input using (add(strcol("model"))) nooutput
if (count == 0) { exit error "profile.gp: no data rows in ".input }
array model[count]
rest = names[2:]
do for [i=1:count] { p = strstrt(rest, "|"); model[i] = rest[1:p-1]; rest = rest[p+1:] }

stats input using "rank" nooutput
ranks = STATS_max

# MARK: logy: the medians left out, and the floor of the axis (see the header)
if (logy) {
    left = 0
    lowest = 0
    top = 0
    edge = 0  # the smallest positive p10: a band's lower edge in the frame, where it can be
    tally(m, l, p) = (m <= 0 ? (left = left + 1) : (m > 0 && (lowest == 0 || m < lowest)) ? (lowest = m) : 0, \
                      edge = (l > 0 && (edge == 0 || l < edge)) ? l : edge, \
                      top = m > top ? m : top, top = p > top ? p : top, 0)
    stats input using (tally(column("median"), column("p10"), column("p90"))) nooutput
    if (lowest == 0) { exit error "profile.gp: logy needs a positive median; ".input." has none" }
    if (left > 0) { print sprintf("profile.gp: logy leaves out %d median(s) ≤ 0", left) }
    lowest = edge > 0 && edge < lowest ? edge : lowest
    base = lowest > 1e-6 * top ? lowest : 1e-6 * top
    bottom = 10.0**floor(log10(base / 3))
}
clip(v) = logy && !(v > bottom) ? bottom : v
shown(v) = logy && !(v > 0) ? NaN : v

# MARK: One block per model in $S (header rank,<model>,p10,p90), whatever the order of the
# models' rows; the rows of one model are drawn in the order they come (by rank, as written)
num(x) = sprintf("%.10g", x)
undefine $S  # blocks are appended below: start afresh, even when loaded twice
do for [i=1:count] {
    set print $S append
    print "rank,".model[i].",p10,p90"
    unset print
    set table $S append separator comma
    plot input using (num(column("rank"))):(num(column("median"))):(num(column("p10"))):(num(column("p90"))) \
        with table if (strcol("model") eq model[i])
    unset table
    set print $S append
    print ""
    print ""
    unset print
}

# MARK: Figure
set terminal pngcairo size 900,600 enhanced font ",11"
set output output
if (exists("title")) { set title title noenhanced font ",13" }
set xlabel "rank"
set ylabel "eigenvalue of ∇²ₓℓ"
set border 3
set tics nomirror out
set style line 100 lc rgb "#e5e5e5" lw 1 dt solid
set grid ls 100
set style line 101 lc rgb "#808080" lw 1 dt 2
set autoscale xfix
if (ranks <= 20) { set xtics 1 }
if (logy) {
    # Whole decades from the floor up; small points, so that a median between two left out shows
    set logscale y
    set format y "10^{%L}"
    set yrange [bottom:*]
    style = "linespoints pt 7 ps 0.5"
} else {
    set xzeroaxis ls 101
    set offsets 0, 0, graph 0.05, graph 0.05
    style = "lines"
}
set key top right Left reverse noenhanced box lc rgb "#cccccc" opaque samplen 2 spacing 1.2
set key title "median, shaded 10–90th percentile"
plot for [i=1:count] $S index (i-1) using 1:(clip($3)):(clip($4)) with filledcurves fs transparent solid 0.18 noborder lt i notitle, \
     for [i=1:count] $S index (i-1) using 1:(shown($2)) with @style lt i title columnhead(2)
