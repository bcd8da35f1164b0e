# images.gp: a grid of greyscale image panels, such as inputs, perturbations and adversarial examples.
#
#   gnuplot -e "input='images.csv'; output='images.png'" images.gp
#   optional: title='…'; titles='clean|perturbation|adversarial' (panel titles, in panel order);
#             columns=N (panels per row of the figure, default 4);
#             palette='auto' (default), 'grey' or 'diverging'
#
# Input: CSV with header panel,row,col,value (columns are found by name): panel an integer from 0,
# each panel an image of rows × cols pixels (28 × 28 for MNIST) listed row by row, row 0 at the top.
# With palette='auto', a panel with negative values (a perturbation) is drawn with a diverging
# blue–white–red palette symmetric about 0, its title showing the range ±m; any other panel in grey,
# black 0 to white 1 (or to its maximum, if that exceeds 1).

if (!exists("input") || !exists("output")) {
    exit error "images.gp: set input and output, e.g. gnuplot -e \"input='images.csv'; output='images.png'\" images.gp"
}
if (!exists("columns")) { columns = 4 }
if (!exists("palette")) { palette = "auto" }
if (!exists("titles")) { titles = "" }
if (int(columns) != columns || columns < 1) { exit error "images.gp: columns must be a positive integer" }
if (palette ne "auto" && palette ne "grey" && palette ne "diverging") {
    exit error "images.gp: palette must be 'auto', 'grey' or 'diverging', not '".palette."'"
}

set datafile separator ","
set datafile columnheaders
set key autotitle columnhead

# MARK: Panels and image size
stats input using "panel" nooutput
if (STATS_records == 0) { exit error "images.gp: no data rows in ".input }
if (STATS_min < 0) { exit error "images.gp: panel numbers start at 0" }
panels = int(STATS_max) + 1
stats input using "row" nooutput
height = int(STATS_max) + 1
stats input using "col" nooutput
width = int(STATS_max) + 1

# MARK: Titles from titles='a|b|c', one per panel
array caption[panels]
rest = titles."|"
do for [i=1:panels] {
    p = strstrt(rest, "|")
    caption[i] = p > 0 ? rest[1:p-1] : ""
    rest = p > 0 ? rest[p+1:] : ""
}

# MARK: One block per panel in $S, whatever the row order between panels; value ranges
num(x) = sprintf("%.10g", x)
undefine $S  # blocks are appended below: start afresh, even when loaded twice
array block[panels]
array low[panels]
array high[panels]
blocks = 0
do for [i=1:panels] {
    stats input using (column("panel") == i - 1 ? column("value") : NaN) nooutput
    block[i] = -1
    if (STATS_records > 0) {
        low[i] = STATS_min
        high[i] = STATS_max
        block[i] = blocks
        blocks = blocks + 1
        set table $S append
        plot input using (num(column("col"))):(num(column("row"))):(num(column("value"))) \
            with table if (column("panel") == i - 1)
        unset table
        set print $S append
        print ""
        print ""
        unset print
    }
}
set datafile separator whitespace
set datafile nocolumnheaders
set key noautotitle

# MARK: Figure: a grid of panels with square pixels, centred on the page under the title
columns = columns < panels ? columns : panels
rows = (panels + columns - 1) / columns
gapx = 0.02
gapy = 0.07
headroom = exists("title") ? 0.11 : 0.05
top = 0.98 - headroom
cellh = (top - 0.02 - (rows - 1) * gapy) * 600.0 / rows
cellw = cellh * width / height
across = cellw * columns / 900.0 + (columns - 1) * gapx
if (across <= 0.96) {
    left = (1 - across) / 2
    bottom = 0.02
} else {
    left = 0.02
    cellh = (0.96 - (columns - 1) * gapx) * 900.0 / columns * height / width
    spare = top - 0.02 - (cellh * rows / 600.0 + (rows - 1) * gapy)
    top = top - spare / 2
    bottom = 0.02 + spare / 2
}
set terminal pngcairo size 900,600 enhanced font ",11"
set output output
set border 15 lc rgb "#b0b0b0" lw 0.5
unset tics
unset key
unset colorbox
set size ratio -1
set xrange [-0.5:width - 0.5]
set yrange [height - 0.5:-0.5]
set multiplot layout rows, columns margins left, 1 - left, bottom, top spacing gapx, gapy
if (exists("title")) { set label 1 title at screen 0.5, top + 0.085 center font ",13" noenhanced }
do for [i=1:panels] {
    if (block[i] < 0) {
        set multiplot next
    } else {
        diverging = palette eq "diverging" || (palette eq "auto" && low[i] < 0)
        if (diverging) {
            m = (abs(low[i]) > abs(high[i]) ? abs(low[i]) : abs(high[i]))
            m = m > 0 ? m : 1
            set palette defined (-1 "#2166AC", -0.5 "#92C5DE", 0 "#F7F7F7", 0.5 "#F4A582", 1 "#B2182B")
            set cbrange [-m:m]
            set title sprintf("%s%s±%.2g", caption[i], caption[i] eq "" ? "" : "  ", m) noenhanced
        } else {
            set palette grey
            set cbrange [(low[i] < 0 ? low[i] : 0):(high[i] > 1 ? high[i] : 1)]
            set title caption[i] noenhanced
        }
        plot $S index block[i] using 1:2:3 with image
        unset label 1
    }
}
unset multiplot
