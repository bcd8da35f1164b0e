# boundary-profile.gp: the decision boundary's principal curvatures by rank, several models on one
# set of axes: the largest curvatures in the left panel and, when the run also has the smallest
# (compare --boundary, boundary --which both), those in the right panel.
#
#   gnuplot -e "input='boundary-profile.csv'; output='boundary-profile.png'" boundary-profile.gp
#   optional: title='…'; table='FILE' (also writes the panels' rank ranges, "# panels 1-k" or
#             "# panels 1-k d-k'-(d-1)", and the series drawn, per model rank,median,p10,p90)
#
# Input: CSV with header model,rank,mean,median,p10,p90,samples (columns found by name), one row
# per model and rank, as compare writes boundary-profile.csv: ranks count the d − 1 principal
# curvatures in descending order. Ranks that do not run on from 1 without a gap are the smallest
# curvatures (from d − k to d − 1); they get the right panel, so that the two ends are not joined
# by a line across the hundreds of ranks between them. Each model is drawn as its median curvature
# against rank, with a band from the 10th to the 90th percentile over samples.

if (!exists("input") || !exists("output")) {
    exit error "boundary-profile.gp: set input and output, e.g. gnuplot -e \"input='boundary-profile.csv'; output='boundary-profile.png'\" boundary-profile.gp"
}

set encoding utf8
set datafile separator ","
set datafile columnheaders

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
if (count == 0) { exit error "boundary-profile.gp: no data rows in ".input }
array model[count]
rest = names[2:]
do for [i=1:count] { p = strstrt(rest, "|"); model[i] = rest[1:p-1]; rest = rest[p+1:] }

# MARK: The largest ranks run on from 1; the first rank past a gap starts the smallest
ranks = "|"
addrank(r) = strstrt(ranks, sprintf("|%d|", r)) == 0 ? (ranks = ranks.sprintf("%d|", r), 0) : 0
stats input using (addrank(int(column("rank"))), column("rank")) nooutput
highest = int(STATS_max)
top = 0
while (strstrt(ranks, sprintf("|%d|", top + 1)) > 0) { top = top + 1 }
if (top == 0) { exit error "boundary-profile.gp: ".input." has no rank 1" }
split = top < highest
if (split) {
    first = highest
    lowest(r) = (r > top && r < first ? (first = r) : 0, 0)
    stats input using (lowest(int(column("rank")))) nooutput
}

num(x) = sprintf("%.10g", x)
undefine $S
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

if (exists("table")) {
    set print table
    print split ? sprintf("# panels 1-%d %d-%d", top, first, highest) : sprintf("# panels 1-%d", top)
    print $S
    unset print
}

# MARK: Figure
set terminal pngcairo size (split ? 1100 : 900),640 enhanced font ",11"
set output output
set border 3
set tics nomirror out
set style line 100 lc rgb "#e5e5e5" lw 1 dt solid
set grid ls 100
set style line 101 lc rgb "#808080" lw 1 dt 2
set xzeroaxis ls 101
set offsets 0, 0, graph 0.08, graph 0.08
set xtics 1
# The key below both panels, where it can cover no data.
set bmargin 7
set key at screen 0.5, 0.02 center bottom horizontal noenhanced box lc rgb "#cccccc" samplen 2 spacing 1.2 width 2
set key title "median, shaded 10–90th percentile"
band = "filledcurves fs transparent solid 0.18 noborder"
line = "linespoints pt 7 ps 0.8"
low(r) = r <= top ? r : NaN
high(r) = r > top ? r : NaN
if (split) {
    set multiplot layout 1,2 title (exists("title") ? title : "") noenhanced font ",13"
    set title "largest" font ",12"
} else {
    if (exists("title")) { set title title noenhanced font ",13" }
}
set xlabel "rank"
set ylabel "principal curvature κ of the boundary (1/image units)"
set xrange [0.7:top + 0.3]
plot for [i=1:count] $S index (i-1) using (low($1)):3:4 with @band lt i notitle, \
     for [i=1:count] $S index (i-1) using (low($1)):2 with @line lt i title columnhead(2)
if (split) {
    set title "smallest" font ",12"
    set ylabel ""
    unset key
    set xrange [first - 0.3:highest + 0.3]
    plot for [i=1:count] $S index (i-1) using (high($1)):3:4 with @band lt i notitle, \
         for [i=1:count] $S index (i-1) using (high($1)):2 with @line lt i title columnhead(2)
    unset multiplot
}
