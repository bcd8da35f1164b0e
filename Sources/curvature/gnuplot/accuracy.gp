# accuracy.gp: accuracy under attack against the attack budget ε, per model and attack.
#
#   gnuplot -e "input='accuracy.csv'; output='accuracy.png'" accuracy.gp
#   optional: title='…'
#
# Input: CSV with header model,attack,epsilon,accuracy (columns are found by name), as
# `curvature compare` writes eval.csv, or without the column model, as `curvature eval` writes
# attack,epsilon,samples,accuracy (the file is then one model); accuracy as a fraction in [0, 1]
# or, if any value exceeds 1, in percent. One line with points per (model, attack): the colour
# tells the model, the dash pattern and point shape the attack.

if (!exists("input") || !exists("output")) {
    exit error "accuracy.gp: set input and output, e.g. gnuplot -e \"input='accuracy.csv'; output='accuracy.png'\" accuracy.gp"
}

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: Colours (Okabe–Ito, safe for colour-blind readers)
set linetype 1 lc rgb "#0072B2" lw 2 pt 7 ps 1.1
set linetype 2 lc rgb "#D55E00" lw 2 pt 7 ps 1.1
set linetype 3 lc rgb "#009E73" lw 2 pt 7 ps 1.1
set linetype 4 lc rgb "#CC79A7" lw 2 pt 7 ps 1.1
set linetype 5 lc rgb "#E69F00" lw 2 pt 7 ps 1.1
set linetype 6 lc rgb "#56B4E9" lw 2 pt 7 ps 1.1
set linetype 7 lc rgb "#000000" lw 2 pt 7 ps 1.1
set linetype 8 lc rgb "#999999" lw 2 pt 7 ps 1.1
set linetype cycle 8
array shape[6] = [7, 5, 9, 13, 11, 15]

# MARK: Is there a column model? (its name, in any position, in the header) Without one the file
# is one model, named "".
named = 0
stats input every ::0::0 using (named = sum [c=1:100] (columnhead(c) eq "model" ? 1 : 0), 0) nooutput
which(x) = named ? strcol("model") : ""

# MARK: Models, attacks and (model, attack) series, in order of first appearance
models = "|"; nmodels = 0
attacks = "|"; nattacks = 0
series = "|"; count = 0
add(m, a) = (strstrt(models, "|".m."|") == 0 ? (models = models.m."|", nmodels = nmodels + 1) : 0, \
             strstrt(attacks, "|".a."|") == 0 ? (attacks = attacks.a."|", nattacks = nattacks + 1) : 0, \
             strstrt(series, "|".m."\t".a."|") == 0 ? (series = series.m."\t".a."|", count = count + 1) : 0, 0)
stats input using (add(which(0), strcol("attack"))) nooutput
if (count == 0) { exit error "accuracy.gp: no data rows in ".input }
stats input using "accuracy" nooutput
percent = STATS_max > 1
# series i: model[i], attack[i], and their positions colour[i] and dash[i] in the lists above
array model[count]
array attack[count]
array colour[count]
array dash[count]
rest = series[2:]
do for [i=1:count] {
    p = strstrt(rest, "|"); pair = rest[1:p-1]; rest = rest[p+1:]
    tab = strstrt(pair, "\t")
    model[i] = pair[1:tab-1]
    attack[i] = pair[tab+1:]
    colour[i] = 0
    dash[i] = 0
    list = models[2:]
    do for [j=1:nmodels] { q = strstrt(list, "|"); if (list[1:q-1] eq model[i]) { colour[i] = j }; list = list[q+1:] }
    list = attacks[2:]
    do for [j=1:nattacks] { q = strstrt(list, "|"); if (list[1:q-1] eq attack[i]) { dash[i] = j }; list = list[q+1:] }
}

# MARK: One block per series in $S (header epsilon,<model, attack>), whatever the row order
num(x) = sprintf("%.10g", x)
undefine $S  # blocks are appended below: start afresh, even when loaded twice
do for [i=1:count] {
    set print $S append
    print "epsilon,".(model[i] eq "" ? "" : model[i]." / ").attack[i]
    unset print
    set table $S append separator comma
    plot input using (num(column("epsilon"))):(num(column("accuracy"))) \
        with table if (which(0) eq model[i] && strcol("attack") eq attack[i])
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
set xlabel "ε"
set ylabel percent ? "accuracy (%)" : "accuracy"
set border 3
set tics nomirror out
set style line 100 lc rgb "#e5e5e5" lw 1 dt solid
set grid ls 100
top = percent ? 100 : 1
set yrange [-0.02 * top:1.02 * top]
set ytics 0, top / 5.0, top
set autoscale xfix
set offsets graph 0.02, graph 0.02, 0, 0
set key outside right top Left reverse noenhanced samplen 3 spacing 1.3
plot for [i=1:count] $S index (i - 1) using 1:2 smooth unique with linespoints \
    lt colour[i] dt dash[i] pt shape[(dash[i] - 1) % 6 + 1] title columnhead(2)
