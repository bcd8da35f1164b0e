# spectrum.gp: the full sorted spectrum of the input Hessian of one or more samples.
#
#   gnuplot -e "input='spectrum.csv'; output='spectrum.png'" spectrum.gp
#   optional: title='…'
#
# Input: CSV with header sample,label,predicted,rank,eigenvalue,residual, one row per sample and
# rank (columns are found by name), as `curvature spectrum` writes it. One line per sample, at most
# the first 10 samples of the file. With a column model (model,sample,…, as `curvature compare`
# writes spectra.csv) one colour per model and at most the first 10 / (number of models) samples
# of each model, at least one.
# With more than 20 ranks the rank axis is logarithmic, so the few large leading eigenvalues
# are not squeezed against the left border; logx=0 or logx=1 overrides that choice.

if (!exists("input") || !exists("output")) {
    exit error "spectrum.gp: set input and output, e.g. gnuplot -e \"input='spectrum.csv'; output='spectrum.png'\" spectrum.gp"
}

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: Colours (Okabe–Ito first, then three more)
set linetype 1 lc rgb "#0072B2" lw 1.5
set linetype 2 lc rgb "#D55E00" lw 1.5
set linetype 3 lc rgb "#009E73" lw 1.5
set linetype 4 lc rgb "#CC79A7" lw 1.5
set linetype 5 lc rgb "#E69F00" lw 1.5
set linetype 6 lc rgb "#56B4E9" lw 1.5
set linetype 7 lc rgb "#000000" lw 1.5
set linetype 8 lc rgb "#999999" lw 1.5
set linetype 9 lc rgb "#8C564B" lw 1.5
set linetype 10 lc rgb "#7F7F00" lw 1.5
set linetype cycle 10

# MARK: Is there a column model? (its name, in any position, in the header) Without one the file
# is one model, named "".
named = 0
stats input every ::0::0 using (named = sum [c=1:100] (columnhead(c) eq "model" ? 1 : 0), 0) nooutput
which(x) = named ? strcol("model") : ""
models = "|"
nmodels = 0
addmodel(m) = strstrt(models, "|".m."|") == 0 ? (models = models.m."|", nmodels = nmodels + 1, 0) : 0
stats input using (addmodel(which(0))) nooutput
if (nmodels == 0) { exit error "spectrum.gp: no data rows in ".input }
array model[nmodels]
rest = models[2:]
do for [j=1:nmodels] { p = strstrt(rest, "|"); model[j] = rest[1:p-1]; rest = rest[p+1:] }

# MARK: The first 10 samples (of each model, the first 10 / models), in order of first appearance,
# with their label and prediction (captions hold no commas: they become the CSV header of a block below)
maximum = 10
each = maximum / nmodels > 1 ? maximum / nmodels : 1
names = "|"
details = ""
count = 0
more = 0
caption(m, s, l, p) = sprintf("%s%s: %s → %s%s", m eq "" ? "" : m." ", s, l, p, l eq p ? "" : " ✗")
add(m, s, l, p) = strstrt(names, "|".m."\t".s."|") != 0 ? 0 : \
    taken < each ? (names = names.m."\t".s."|", details = details.caption(m, s, l, p)."|", count = count + 1, taken = taken + 1, 0) : \
    (more = 1, 0)
do for [j=1:nmodels] {
    taken = 0
    stats input using (which(0) eq model[j] ? add(model[j], strcol("sample"), strcol("label"), strcol("predicted")) : 0) nooutput
}
array sample[count]
array owner[count]
array caption[count]
array colour[count]
rest = names[2:]
text = details
do for [i=1:count] {
    p = strstrt(rest, "|"); key = rest[1:p-1]; rest = rest[p+1:]
    tab = strstrt(key, "\t"); owner[i] = key[1:tab-1]; sample[i] = key[tab+1:]
    p = strstrt(text, "|"); caption[i] = text[1:p-1]; text = text[p+1:]
    colour[i] = i
    if (named) { do for [j=1:nmodels] { if (model[j] eq owner[i]) { colour[i] = j } } }
}
stats input using "rank" nooutput
ranks = STATS_max

# MARK: One block per sample in $S (header rank,<caption>), whatever the row order
num(x) = sprintf("%.10g", x)
undefine $S  # blocks are appended below: start afresh, even when loaded twice
do for [i=1:count] {
    set print $S append
    print "rank,".caption[i]
    unset print
    set table $S append separator comma
    plot input using (num(column("rank"))):(num(column("eigenvalue"))) \
        with table if (strcol("sample") eq sample[i] && which(0) eq owner[i])
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
if (!exists("logx")) { logx = ranks > 20 }
if (logx) { set logscale x; set mxtics 10 }
if (!logx && ranks <= 20) { set xtics 1 }
set autoscale xfix
set offsets 0, 0, graph 0.05, graph 0.05
set key outside right top Left reverse noenhanced samplen 2 spacing 1.2
set key title (more ? (named && nmodels > 1 ? sprintf("first %d samples of each model\n", each) : "first ".count." samples\n") : "") \
    .(named ? "model " : "")."sample: label → predicted"
plot for [i=1:count] $S index (i-1) using 1:2 with lines lt colour[i] title columnhead(2)
