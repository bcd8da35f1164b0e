# profile.gp: the eigenvalue profile of several models on one set of axes.
#
#   gnuplot -e "input='profile.csv'; output='profile.png'" profile.gp
#   optional: title='…'
#
# Input: CSV with header model,rank,mean,median,p10,p90,samples, one row per model and rank
# (columns are found by name). Each model is drawn as its median eigenvalue against rank with a
# shaded band from the 10th to the 90th percentile over samples, in order of first appearance.

if (!exists("input") || !exists("output")) {
    exit error "profile.gp: set input and output, e.g. gnuplot -e \"input='profile.csv'; output='profile.png'\" profile.gp"
}

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
set xzeroaxis ls 101
set autoscale xfix
if (ranks <= 20) { set xtics 1 }
set offsets 0, 0, graph 0.05, graph 0.05
set key top right Left reverse noenhanced box lc rgb "#cccccc" opaque samplen 2 spacing 1.2
set key title "median, shaded 10–90th percentile"
plot for [i=1:count] $S index (i-1) using 1:3:4 with filledcurves fs transparent solid 0.18 noborder lt i notitle, \
     for [i=1:count] $S index (i-1) using 1:2 with lines lt i title columnhead(2)
