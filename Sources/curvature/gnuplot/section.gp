# section.gp: cross-sections of several models' decision regions through one sample x, from
# `curvature section`, one panel per model side by side.
#
#   gnuplot -e "input='section.csv'; output='section.png'" section.gp
#   optional: title='…'; marks='section.marks.csv' (default: <input stem>.marks.csv);
#             direction='principal', 'random' or 'gradient' (section's --direction, for the label
#             of the b axis);
#             table='FILE' (also writes every panel's series to FILE with gnuplot's `set table`);
#             scratch='FILE' (where the grids are rewritten for gnuplot, default <output>.grid,
#             removed at the end unless given)
#
# Input: CSV with header model,a,b,predicted,margin (columns found by name): for each model an
# N × N grid over the plane x + a·e₁ + b·e₂, a varying fastest, then b, as `curvature section`
# writes it; e₁ points from x to that model's nearest boundary point x_b. predicted is the class at
# the point, margin z_y − max_{k≠y} z_k of the sample's class y. Marks: CSV model,point,a,b with the
# rows point x (at 0, 0) and boundary (x_b) of each model; a model without a boundary row has none.
#
# Each panel shows the predicted class as a filled map (one colour per class number, the same in
# every panel, named in the legend), the boundary of y's region as the contour margin = 0 (black),
# x (black cross) and x_b (white disc); its title is the model and ‖x_b − x‖. All panels share
# their axes' ranges and are drawn to scale (a unit of a as long as a unit of b): distances are in
# the image's units, the ℓ2 norm of pixels in [0, 1].

if (!exists("input") || !exists("output")) {
    exit error "section.gp: set input and output, e.g. gnuplot -e \"input='section.csv'; output='section.png'\" section.gp"
}
own = !exists("scratch")
if (own) { scratch = output.".grid" }
if (!exists("marks")) { marks = (strlen(input) > 4 && input[strlen(input) - 3:] eq ".csv" ? input[1:strlen(input) - 4] : input).".marks.csv" }

set encoding utf8
set datafile separator ","
set datafile columnheaders
num(x) = sprintf("%.10g", x)

# MARK: The models, in order of first appearance
names = "|"
count = 0
add(s) = strstrt(names, "|".s."|") == 0 ? (names = names.s."|", count = count + 1, 0) : 0
stats input using (add(strcol("model"))) nooutput
if (count == 0) { exit error "section.gp: no data rows in ".input }
array model[count]
rest = names[2:]
do for [i=1:count] { p = strstrt(rest, "|"); model[i] = rest[1:p-1]; rest = rest[p+1:] }

# MARK: The classes that occur (for the palette and the legend)
classes = "|"
addclass(c) = strstrt(classes, sprintf("|%d|", c)) == 0 ? (classes = classes.sprintf("%d|", c), 0) : 0
stats input using (addclass(int(column("predicted"))), column("predicted")) nooutput
lowest = int(STATS_min)
highest = int(STATS_max)
has(c) = strstrt(classes, sprintf("|%d|", c)) > 0

# MARK: Each model's grid, checked, as one block of scans (a, b, margin, predicted) in the file
# scratch (splot's contours need the scans separated by blank lines, which only a file keeps);
# the ranges shared by all panels span all grids
array side[count]
xlow = 1e300; xhigh = -1e300; ylow = 1e300; yhigh = -1e300
do for [i=1:count] {
    mine(i) = strcol("model") eq model[i]
    stats input using (mine(i) ? column("a") : NaN) nooutput
    rows = STATS_records
    alow = STATS_min; ahigh = STATS_max
    stats input using (mine(i) ? column("b") : NaN) nooutput
    blow = STATS_min; bhigh = STATS_max
    n = int(sqrt(rows) + 0.5)
    if (n * n != rows || n < 2 || !(ahigh > alow) || !(bhigh > blow)) {
        exit error sprintf("section.gp: the %d rows of model %s in %s are not an N × N grid (N ≥ 2)", rows, model[i], input)
    }
    da = (ahigh - alow) / (n - 1)
    db = (bhigh - blow) / (n - 1)
    k = 0
    bad = 0
    off(v, want, step) = abs(v - want) > 0.25 * step
    stats input using (mine(i) ? (bad = bad + (off(column("a"), alow + (k % n) * da, da) || off(column("b"), blow + int(k / n) * db, db)), \
        k = k + 1, 0) : NaN) nooutput
    if (bad > 0) {
        exit error sprintf("section.gp: the rows of model %s in %s are not a grid in the order curvature section writes (a fastest, then b)", model[i], input)
    }
    side[i] = n
    xlow = alow < xlow ? alow : xlow
    xhigh = ahigh > xhigh ? ahigh : xhigh
    ylow = blow < ylow ? blow : ylow
    yhigh = bhigh > yhigh ? bhigh : yhigh
}
do for [i=1:count] {  # every grid checked first, so that a refusal leaves no scratch behind
    n = side[i]
    k = 0
    if (i == 1) { set table scratch } else { set table scratch append }
    # A line break after each scan's last row: a blank line between scans
    plot input using (num(column("a"))):(num(column("b"))):(num(column("margin"))):(num(column("predicted"))):(mine(i) ? k = k + 1 : 0, k % n == 0 ? "\n" : "") \
        with table if (mine(i))
    unset table
    set print scratch append
    print ""
    unset print
}

# MARK: Marks of each model: x and x_b (NaN if none), and ‖x_b − x‖
array xa[count]; array xb[count]; array ba[count]; array bb[count]; array distance[count]
do for [i=1:count] { xa[i] = NaN; xb[i] = NaN; ba[i] = NaN; bb[i] = NaN }
which(s) = sum [j=1:count] (model[j] eq s ? j : 0)
mark(m, point) = m == 0 ? 0 : point eq "x" ? (xa[m] = column("a"), xb[m] = column("b"), 0) \
    : point eq "boundary" ? (ba[m] = column("a"), bb[m] = column("b"), 0) : 0
stats marks using (mark(which(strcol("model")), strcol("point"))) nooutput
do for [i=1:count] { distance[i] = sqrt((ba[i] - xa[i])**2 + (bb[i] - xb[i])**2) }

# MARK: The boundary of each model: the contour margin = 0 of its grid, one block per model in
# $L (its pieces separated by single blank lines; a block of one undefined point if there is none)
set datafile separator whitespace
set datafile nocolumnheaders
set key noautotitle
undefine $L
set contour base
unset surface
set cntrparam linear
set cntrparam levels discrete 0
do for [i=1:count] {
    set table $C
    splot scratch index (i - 1) using 1:2:3
    unset table
    set print $L append
    drawn = 0
    blank = 1
    do for [j=1:|$C|] {
        line = $C[j]
        if (line[1:1] ne "#") {
            if (strlen(trim(line)) == 0) {
                if (!blank) { print ""; blank = 1 }
            } else {
                print line
                drawn = 1
                blank = 0
            }
        }
    }
    if (!drawn) { print "NaN NaN" }
    print ""
    print ""
    unset print
}
unset contour
set surface

# MARK: Colours of the classes (ColorBrewer Set3, light enough for black lines and marks on
# them), class c in colour c mod 12; the palette maps each class number to its colour
array hue[12] = [0x8DD3C7, 0xFFFFB3, 0xBEBADA, 0xFB8072, 0x80B1D3, 0xFDB462, 0xB3DE69, 0xFCCDE5, 0xD9D9D9, 0xBC80BD, 0xCCEBC5, 0xFFED6F]
colour(c) = hue[(c % 12 + 12) % 12 + 1]
steps = ""
do for [c=lowest:highest] {
    steps = steps.sprintf("%s%g '#%06X', %g '#%06X'", c == lowest ? "" : ", ", c - 0.5, colour(c), c + 0.5, colour(c))
}
eval "set palette defined (".steps.")"
set cbrange [lowest - 0.5:highest + 0.5]
unset colorbox

# MARK: Layout in pixels: square-scaled panels in rows of at most 4 (as even as can be), the
# legend on the right, the title above, one axis label below and one on the left
panelrows = (count + 3) / 4
columns = (count + panelrows - 1) / panelrows
pw = columns == 1 ? 440 : columns == 2 ? 360 : 300
ph = pw * (yhigh - ylow) / (xhigh - xlow)
left = 86
gapx = 44
legendw = 270
heading = 0
if (exists("title")) {
    heading = 1
    rest = title
    while (strstrt(rest, "\n") > 0) { heading = heading + 1; rest = rest[strstrt(rest, "\n") + 1:] }
}
pitchtitle = 1.65 * 13
headroom = heading > 0 ? heading * pitchtitle + 14 : 8
band = 44  # the two lines of a panel's title
below = 34  # tic labels under a panel
rowgap = 12
content = left + columns * pw + (columns - 1) * gapx + legendw
wide = content < 900 ? 900 : content
inset = (wide - content) / 2  # the content centred in the figure
tall = int(headroom + panelrows * (band + ph + below) + (panelrows - 1) * rowgap + 30)

# MARK: One panel: the class map, the boundary, x and x_b (also used for the table)
panel = "plot scratch index (i - 1) using 1:2:4 with image, " \
    ."$L index (i - 1) using 1:2 with lines lc rgb 'black' lw 2, " \
    ."'+' using (xa[i]):(xb[i]) every ::0::0 with points pt 2 ps 2 lw 3 lc rgb 'black', " \
    ."'+' using (ba[i]):(bb[i]) every ::0::0 with points pt 7 ps 1.9 lc rgb 'white', " \
    ."'+' using (ba[i]):(bb[i]) every ::0::0 with points pt 6 ps 1.9 lw 2 lc rgb 'black'"
set xrange [xlow:xhigh]
set yrange [ylow:yhigh]
set samples 2

# MARK: Figure
set terminal pngcairo size wide, tall enhanced font ",11"
sx(px) = px / (1.0 * wide)  # screen coordinates of pixels from the left and from the top
sy(py) = 1 - py / (1.0 * tall)
set output output
unset title
unset key
set border 15 lw 1
set tics out nomirror scale 0.6
set tics front
set minussign  # U+2212 in tic labels
set multiplot
do for [k=1:heading] {
    rest = title."\n"
    do for [j=1:k] { p = strstrt(rest, "\n"); piece = rest[1:p-1]; rest = rest[p+1:] }
    set label k piece at screen 0.5, sy(6 + (k - 0.5) * pitchtitle) center font ",13" noenhanced
}
top = headroom + band
set label 20 "a: towards the model's nearest boundary point x_b (image units, ℓ_2)" \
    at screen sx(inset + left + (columns * pw + (columns - 1) * gapx) / 2.0), sy(tall - 12) center
if (!exists("direction")) { direction = "" }
set label 21 (direction eq "principal" ? "b: direction of largest curvature at x_b" \
    : direction eq "gradient" ? "b: the margin's gradient at x, orthogonal to a" \
    : direction eq "random" ? "b: a random direction, orthogonal to a" : "b: a second direction, orthogonal to a") \
    at screen sx(inset + 18), sy(top + (panelrows * (band + ph + below) - band - below + (panelrows - 1) * rowgap) / 2.0) \
    center rotate by 90
do for [i=1:count] {
    r = (i - 1) / columns
    c = (i - 1) % columns
    x0 = inset + left + c * (pw + gapx)
    y0 = headroom + r * (band + ph + below + rowgap) + band
    set lmargin at screen sx(x0)
    set rmargin at screen sx(x0 + pw)
    set tmargin at screen sy(y0)
    set bmargin at screen sy(y0 + ph)
    set format y (c == 0 ? "% h" : "")
    set format x "% h"
    name = model[i]
    fit = int(pw / 9.5)  # characters of 12 points across a panel
    if (strlen(name) > fit) { name = name[1:fit - 1]."…" }
    set label 30 name at screen sx(x0 + pw / 2.0), sy(y0 - 26) center font ",12" noenhanced
    set label 31 (distance[i] == distance[i] ? sprintf("‖x_b − x‖ = %.3g", distance[i]) : "no boundary point") \
        at screen sx(x0 + pw / 2.0), sy(y0 - 9) center font ",10"
    @panel
    do for [k=1:heading] { unset label k }
    heading = 0
    unset label 20
    unset label 21
}
unset label 30
unset label 31

# MARK: Legend: the classes that occur, the boundary and the marks, right of the panels
x0 = inset + left + columns * pw + (columns - 1) * gapx + 16
set lmargin at screen sx(x0)
set rmargin at screen sx(wide - inset - 4)
set tmargin at screen sy(headroom + band)
set bmargin at screen sy(headroom + band + ph)
unset border
unset tics
unset label
set key at graph 0, 1 left top Left reverse samplen 1.6 spacing 1.25 width -2 enhanced
set style fill solid 1 border lc rgb "#606060"
entries = ""
do for [c=lowest:highest] { if (has(c)) { entries = entries.sprintf(", keyentry with boxes fc rgb '#%06X' title 'class %d'", colour(c), c) } }
eval "plot NaN notitle".entries.", keyentry with lines lc rgb 'black' lw 2 title 'boundary (margin 0)', " \
    ."keyentry with points pt 2 ps 1.5 lw 3 lc rgb 'black' title 'x, the sample', " \
    ."keyentry with points pt 6 ps 1.5 lw 2 lc rgb 'black' title 'x_b, nearest boundary point'"
unset multiplot

# MARK: Test hook: every panel's series, drawn once more into a table
if (exists("table")) {
    unset key
    unset minussign
    set format  # plain numbers
    set table table
    do for [i=1:count] { @panel }
    unset table
}
if (own) {
    quoted = ""
    do for [j=1:strlen(scratch)] { ch = scratch[j:j]; quoted = quoted.(ch eq "'" ? "'\\''" : ch) }
    system("rm -f -- '".quoted."'")
}
