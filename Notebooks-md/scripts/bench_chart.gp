# bench_chart.gp: HVP/s of Curvature, JAX and PyTorch per workload, as grouped bars.
#
#   gnuplot -e "input='rows.csv'; output='chart.png'" bench_chart.gp
#   optional: title='…'; field='grad_per_s' (default hvp_per_s); linear=1 (linear y axis)
#
# Input: the --csv of bench_peers.sh, header workload,threads,tool,grad_per_s,hvp_per_s,peak_rss_mb
# (columns found by name). One group of bars per (workload, threads), in order of first appearance;
# one bar per tool (curvature, jax, pytorch), its value printed above it. The y axis is
# logarithmic by default, since the workloads differ by 100×.

if (!exists("input") || !exists("output")) {
    exit error "bench_chart.gp: set input and output, e.g. gnuplot -e \"input='rows.csv'; output='chart.png'\" bench_chart.gp"
}
if (!exists("field")) { field = "hvp_per_s" }
if (!exists("linear")) { linear = 0 }

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: Tools (Okabe–Ito colours, safe for colour-blind readers)
array tool[3] = ["curvature", "jax", "pytorch"]
array toolname[3] = ["Curvature", "JAX", "PyTorch"]
array colour[3] = ["#0072B2", "#D55E00", "#009E73"]
toolindex(t) = (t eq "curvature") ? 1 : (t eq "jax") ? 2 : (t eq "pytorch") ? 3 : 0

# MARK: Groups (workload, threads), in order of first appearance
groups = "|"; ngroups = 0
key(w, t) = w." T=".t
add(w, t) = (strstrt(groups, "|".key(w, t)."|") == 0 ? (groups = groups.key(w, t)."|", ngroups = ngroups + 1) : 0, 0)
stats input using (add(strcol("workload"), strcol("threads"))) nooutput
if (ngroups == 0) { exit error "bench_chart.gp: no data rows in ".input }
array group[ngroups]
rest = groups[2:]
do for [i=1:ngroups] { p = strstrt(rest, "|"); group[i] = rest[1:p-1]; rest = rest[p+1:] }
groupindex(s) = sum [i=1:ngroups] ((group[i] eq s) ? i : 0)

stats input using field nooutput
vmin = STATS_min; vmax = STATS_max
if (vmin <= 0 && !linear) { linear = 1; print "bench_chart.gp: values ≤ 0, using a linear axis" }

# MARK: Figure
set terminal pngcairo size 1000,600 enhanced font ",11"
set output output
if (exists("title")) { set title title noenhanced font ",13" } else {
    set title (field eq "hvp_per_s" ? "Input-space Hessian-vector products per second (higher is better)" \
                                    : "Input gradients per second (higher is better)") font ",13"
}
set ylabel (field eq "hvp_per_s" ? "HVP/s (samples per second)" : "gradients/s (samples per second)")
set border 3
set tics nomirror out
set style line 100 lc rgb "#e5e5e5" lw 1 dt solid
set style line 101 lc rgb "#f2f2f2" lw 1 dt solid
set grid ytics mytics ls 100, ls 101
set style fill solid 0.9 border lc rgb "#333333"
width = 0.26
set xrange [0.4:ngroups + 0.6]
set xtics () scale 0 noenhanced
do for [i=1:ngroups] {
    s = group[i]; p = strstrt(s, " T=")
    n = s[p+3:]
    set xtics add (s[1:p-1]."\n".n.(n eq "1" ? " thread" : " threads") i)
}
if (linear) {
    base = 0
    set yrange [0:vmax * 1.15]
} else {
    set logscale y 10
    base = 10 ** floor(log10(vmin) - 0.0001)
    set yrange [base:10 ** (log10(vmax) + 0.35)]
    set format y "10^{%T}"
    set mytics 10
}
set key outside bottom center horizontal noenhanced samplen 2 width 3
set bmargin 6
label(v) = v >= 100 ? gprintf("%.0f", v) : sprintf("%.1f", v)
x(t) = groupindex(key(strcol("workload"), strcol("threads"))) + (toolindex(strcol("tool")) - 2) * width
plot for [k=1:3] input using (strcol("tool") eq tool[k] ? x(0) : NaN):(column(field)):(x(0) - width / 2):(x(0) + width / 2):(base):(column(field)) \
        with boxxyerror lc rgb colour[k] title toolname[k], \
     for [k=1:3] input using (strcol("tool") eq tool[k] ? x(0) : NaN):(column(field)):(label(column(field))) \
        with labels offset 0, 0.7 font ",9" notitle
