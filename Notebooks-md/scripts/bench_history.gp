# bench_history.gp: Curvature's input-HVP/s ÷ JAX's per workload, one point per measured run,
# runs in time order, grouped by CPU.
#
#   gnuplot -e "input='ratios.csv'; output='history.png'" bench_history.gp
#
# Input (performance_figures.sh writes it from figures/bench-history.csv): no header; one block
# per workload (blocks separated by two blank lines, in the order of `workload` below, an empty
# block for a workload never measured), within a block one blank line between CPUs so that no
# line joins two machines. Columns: run (1, 2, … in time order), date, sitting and commit (the
# x tic's lines), cpu, workload, ratio, hvp_alone (1 when Curvature's bench timed the HVP
# alone, as JAX's does; 0 when it also computed the loss and the gradient, before 178897f).

if (!exists("input") || !exists("output")) {
    exit error "bench_history.gp: set input and output"
}
set datafile separator ","

# MARK: Workloads (Okabe–Ito colours)
array workload[5] = ["mlp B=1", "mlp B=128", "cnn B=1", "cnn B=128", "resnet18 B=32"]
array colour[5] = ["#999999", "#0072B2", "#D55E00", "#009E73", "#CC79A7"]

# MARK: Runs: their tics, CPUs and what Curvature's bench timed
stats input using 1 nooutput
runs = int(STATS_max)
array tic[runs]
array cpuof[runs]
array alone[runs]
stats input using (r = int($1), tic[r] = strcol(2)."\n".strcol(3)."\n".strcol(4), cpuof[r] = strcol(5), alone[r] = $8, 0) nooutput
set xtics () scale 0 font ",9" noenhanced
do for [r=1:runs] { set xtics add (tic[r] r) }

min(a, b) = a < b ? a : b
# A label over each stretch of runs on one CPU, a dashed line between CPUs.
first = 1
do for [r=2:runs+1] {
    if (r == runs + 1 || cpuof[min(r, runs)] ne cpuof[first]) {
        set label cpuof[first] at (first + r - 1) / 2.0, graph 1.04 center font ",10" noenhanced
        if (r <= runs) { set arrow from r - 0.5, graph 0 to r - 0.5, graph 1 nohead lc rgb "#777777" dt 2 }
        first = r
    }
}
# Where both began timing the HVP alone (178897f); before it Curvature's call did more.
do for [r=2:runs] {
    if (alone[r] == 1 && alone[r - 1] == 0) {
        set arrow from r - 0.5, graph 0 to r - 0.5, graph 0.97 nohead lc rgb "#0072B2" dt 3
        set label "from here Curvature's bench\ntimes the HVP alone, as JAX's" at r - 0.45, graph 0.12 left font ",8" tc rgb "#0072B2" noenhanced
    }
}

# MARK: Figure
set terminal pngcairo size 1100,560 enhanced font ",11"
set output output
set title "Curvature's input-HVP/s ÷ JAX's, per run (2 threads; above 1: Curvature faster)" font ",13" offset 0, 1.2
set tmargin 5
set bmargin 4
set ylabel "Curvature ÷ JAX"
set logscale y 2
set yrange [0.125:4]
set ytics ("1/8" 0.125, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4)
set xrange [0.5:runs + 0.5]
set border 3
set tics nomirror out
set style line 100 lc rgb "#e5e5e5" lw 1 dt solid
set grid ytics ls 100
set key outside right top Left reverse noenhanced samplen 2
set arrow from 0.5, 1 to runs + 0.5, 1 nohead lc rgb "#333333" lw 1
plot for [k=1:5] input index (k - 1) using 1:7 with linespoints lc rgb colour[k] lw 2 pt 7 ps 1.1 title workload[k]
