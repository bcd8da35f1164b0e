# density.gp: the spectral density of the input Hessian from `curvature density`.
#
#   gnuplot -e "input='density.csv'; output='density.png'" density.gp
#   optional: title='…'; logy=1 (logarithmic density axis; see "logy" below);
#             mean='means.csv' (the mean curves; see "mean" below)
#
# Input: CSV with header sample,lambda,density, one row per sample and grid point λ (columns are
# found by name). Draws the mean density over samples in bold and, faintly beneath it, the density
# of each of the first 30 samples, each on its own grid.
#
# mean: the mean is taken at each λ over the samples, so it needs all samples (of a model) on one
# grid, as `curvature density --lambda-min … --lambda-max …` writes them; a CSV whose samples are
# on grids of their own is refused. `curvature plot density` draws such a CSV too: it interpolates
# each sample's density onto one common grid and passes the means as mean='…', a CSV with header
# lambda,density (model,lambda,density with a column model), which is then drawn as the mean.
#
# Several models: with a further column model (header model,sample,lambda,density, e.g. the CSVs
# of several models concatenated with the model's name put in front of each row), draws one bold
# mean curve per model, in order of first appearance and named in the legend, and no individual
# samples. Without a column model the figure is the one above. For example:
#   awk -F, 'NR==1{print "model,"$0; next}{print "normal,"$0}' normal.csv > both.csv
#   awk -F, 'NR>1{print "robust,"$0}' robust.csv >> both.csv
#
# logy: almost all eigenvalues of an input Hessian sit near 0, so on a linear axis the density is
# one spike at λ ≈ 0 and the tails on both sides are flat at the bottom. With logy=1 the density
# axis is logarithmic, from a floor up: the power of ten at or below 10⁻⁶ × the largest mean
# density (over all models). Densities below the floor (the Gaussian tails of the smoothing reach
# 1e-300 and 0) are clipped to a tenth of it, so a curve leaves through the bottom of the figure
# where it falls below the floor and comes back where it rises above it, without breaking. A
# CSV without a positive density is refused.

if (!exists("input") || !exists("output")) {
    exit error "density.gp: set input and output, e.g. gnuplot -e \"input='density.csv'; output='density.png'\" density.gp"
}
if (!exists("logy")) { logy = 0 }
unset logscale y  # a linear axis in plain numbers while the data are read, even when loaded twice
set autoscale
set format

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: Colours of the models (Okabe–Ito, safe for colour-blind readers, as in profile.gp)
set linetype 1 lc rgb "#0072B2" lw 2.5
set linetype 2 lc rgb "#D55E00" lw 2.5
set linetype 3 lc rgb "#009E73" lw 2.5
set linetype 4 lc rgb "#CC79A7" lw 2.5
set linetype 5 lc rgb "#E69F00" lw 2.5
set linetype 6 lc rgb "#56B4E9" lw 2.5
set linetype 7 lc rgb "#000000" lw 2.5
set linetype 8 lc rgb "#999999" lw 2.5
set linetype cycle 8

# MARK: Is there a column model? (its name, in any position, in the header)
models = 0
stats input every ::0::0 using (models = sum [c=1:100] (columnhead(c) eq "model" ? 1 : 0), 0) nooutput

num(x) = sprintf("%.10g", x)
if (models) {
    # MARK: The models, in order of first appearance; one block of λ, density per model in $T
    names = "|"
    count = 0
    add(s) = strstrt(names, "|".s."|") == 0 ? (names = names.s."|", count = count + 1, 0) : 0
    stats input using (add(strcol("model"))) nooutput
    if (count == 0) { exit error "density.gp: no data rows in ".input }
    array model[count]
    rest = names[2:]
    do for [i=1:count] { p = strstrt(rest, "|"); model[i] = rest[1:p-1]; rest = rest[p+1:] }
    undefine $T  # blocks are appended below: start afresh, even when loaded twice
    undefine $M
    do for [i=1:count] {
        if (exists("mean")) {
            set table $M append
            plot mean using (num(column("lambda"))):(num(column("density"))) with table if (strcol("model") eq model[i])
            unset table
            set print $M append
        } else {
            set table $T append
            plot input using (num(column("lambda"))):(num(column("density"))) with table if (strcol("model") eq model[i])
            unset table
            set print $T append
        }
        print ""
        print ""
        unset print
    }
    set datafile separator whitespace
    set datafile nocolumnheaders
    set key noautotitle  # else the first row of a block would be taken for a title
    # The mean over each model's samples, one block per model in $M
    if (!exists("mean")) {
        do for [i=1:count] {
            set table $M append
            plot $T index (i - 1) using 1:2 smooth unique
            unset table
            set print $M append
            print ""
            print ""
            unset print
        }
    }
} else {
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
    if (exists("mean")) {
        plot mean using (num(column("lambda"))):(num(column("density"))) with table
    } else {
        plot input using "lambda":"density" smooth unique
    }
    unset table
    set datafile separator whitespace
    set datafile nocolumnheaders
}
set key noautotitle

# MARK: Without mean: the samples (of each model) must share one grid (see "mean" in the header):
# the first sample has a row at every λ of the file, and each λ has a row of every sample
if (!exists("mean")) {
    set datafile separator ","
    set datafile columnheaders
    do for [i=1:(models ? count : 1)] {
        mine(i) = models ? strcol("model") eq model[i] : 1
        first = ""
        stats input using (mine(i) && first eq "" ? (first = strcol("sample"), 0) : 0) nooutput
        stats input using (mine(i) ? column("lambda") : NaN) nooutput
        rows = STATS_records
        lowest = STATS_min
        stats input using (mine(i) && strcol("sample") eq first ? 1 : NaN) nooutput
        own = STATS_records
        stats input using (mine(i) && column("lambda") == lowest ? 1 : NaN) nooutput
        samples = STATS_records
        set datafile separator whitespace
        set datafile nocolumnheaders
        stats $M index (i - 1) using 1 nooutput
        set datafile separator ","
        set datafile columnheaders
        if (STATS_records != own || STATS_records * samples != rows) {
            print "density.gp: the samples".(models ? " of ".model[i] : "")." are not on one grid of λ, so their mean cannot be taken at each λ"
            exit error "density.gp: draw them with curvature plot density, or pass their means as mean='…'"
        }
    }
    set datafile separator whitespace
    set datafile nocolumnheaders
}

# MARK: logy: the floor of the axis (see the header)
if (logy) {
    stats $M using 2 nooutput
    if (!(STATS_max > 0)) { exit error "density.gp: logy needs a positive density; ".input." has none" }
    bottom = 10.0**floor(log10(1e-6 * STATS_max))
}
shown(v) = logy && !(v > bottom) ? bottom / 10 : v

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
if (logy) {
    # Whole decades from the floor up
    set logscale y
    set format y "10^{%L}"
    set yrange [bottom:*]
    set ylabel "spectral density (logarithmic)"
} else {
    set offsets 0, 0, graph 0.05, 0
}
if (models) {
    set key top right Left reverse noenhanced box lc rgb "#cccccc" opaque samplen 2 spacing 1.2
    set key title "mean over each model's samples"
    plot for [i=1:count] $M index (i - 1) using 1:(shown($2)) with lines lt i title model[i]
} else {
    set key top right Left reverse noenhanced samplen 2 spacing 1.2
    faint = (more ? sprintf("first %d samples", count) : count == 1 ? "the sample" : sprintf("each of %d samples", count))
    plot for [i=1:count] $S index (i - 1) using 1:(shown($2)) with lines lc rgb "#a6c8e6" lw 1 title (i == 1 ? faint : ""), \
         $M using 1:(shown($2)) with lines lc rgb "#0072B2" lw 2.5 title (more ? "mean over all samples" : "mean over samples")
}
