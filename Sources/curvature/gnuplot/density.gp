# density.gp: the spectral density of the input Hessian from `curvature density`.
#
#   gnuplot -e "input='density.csv'; output='density.png'" density.gp
#   optional: title='…'
#
# Input: CSV with header sample,lambda,density, one row per sample and grid point λ (columns are
# found by name; all samples on the same grid). Draws the mean density over samples in bold and,
# faintly beneath it, the density of each of the first 30 samples.

if (!exists("input") || !exists("output")) {
    exit error "density.gp: set input and output, e.g. gnuplot -e \"input='density.csv'; output='density.png'\" density.gp"
}

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: The first 30 samples, in order of first appearance
maximum = 30
names = "|"
count = 0
more = 0
add(s) = strstrt(names, "|".s."|") != 0 ? 0 : count < maximum ? (names = names.s."|", count = count + 1, 0) : (more = 1, 0)
stats input using (add(strcol("sample"))) nooutput
if (count == 0) { exit error "density.gp: no data rows in ".input }
array sample[count]
rest = names[2:]
do for [i=1:count] { p = strstrt(rest, "|"); sample[i] = rest[1:p-1]; rest = rest[p+1:] }

# MARK: One block per sample in $S, whatever the row order; the mean over all samples in $M
num(x) = sprintf("%.10g", x)
undefine $S  # blocks are appended below: start afresh, even when loaded twice
do for [i=1:count] {
    set table $S append
    plot input using (num(column("lambda"))):(num(column("density"))) with table if (strcol("sample") eq sample[i])
    unset table
    set print $S append
    print ""
    print ""
    unset print
}
set table $M
plot input using "lambda":"density" smooth unique
unset table
set datafile separator whitespace
set datafile nocolumnheaders
set key noautotitle

# MARK: Figure
set terminal pngcairo size 900,600 enhanced font ",11"
set output output
if (exists("title")) { set title title noenhanced font ",13" }
set xlabel "λ, eigenvalue of ∇²ₓℓ"
set ylabel "spectral density"
set border 3
set tics nomirror out
set style line 100 lc rgb "#e5e5e5" lw 1 dt solid
set grid ls 100
set autoscale xfix
set offsets 0, 0, graph 0.05, 0
set key top right Left reverse noenhanced samplen 2 spacing 1.2
faint = (more ? sprintf("first %d samples", count) : count == 1 ? "the sample" : sprintf("each of %d samples", count))
plot for [i=1:count] $S index (i - 1) using 1:2 with lines lc rgb "#a6c8e6" lw 1 title (i == 1 ? faint : ""), \
     $M using 1:2 with lines lc rgb "#0072B2" lw 2.5 title (more ? "mean over all samples" : "mean over samples")
