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
#
# Layout: the figure is 900 pixels wide and as high as its rows need; panels are at most 160
# pixels wide. Panel titles wrap at spaces onto at most two lines, in the largest font from 11 down
# to 7 points in which every word fits the panel's width; if none does, onto at most three lines in
# the largest font from 9 down to 7 points, words too long cut with "…" (in 7 points, lines past
# the third left out). Every row leaves room for as many lines as the longest title has, so titles
# never overlap each other or the panels. A title with line breaks (\n) is drawn on as many lines.

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

set encoding utf8  # strlen and substrings count characters, for the widths of titles
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

# MARK: One block per panel in $S, whatever the row order between panels; value ranges, palettes
# and the full title of each panel (with ±m for a diverging palette)
num(x) = sprintf("%.10g", x)
undefine $S  # blocks are appended below: start afresh, even when loaded twice
array block[panels]
array low[panels]
array high[panels]
array diverging[panels]
array text[panels]
blocks = 0
do for [i=1:panels] {
    stats input using (column("panel") == i - 1 ? column("value") : NaN) nooutput
    block[i] = -1
    text[i] = caption[i]
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
        diverging[i] = palette eq "diverging" || (palette eq "auto" && low[i] < 0)
        if (diverging[i]) {
            m = (abs(low[i]) > abs(high[i]) ? abs(low[i]) : abs(high[i]))
            high[i] = m > 0 ? m : 1
            text[i] = sprintf("%s%s±%.2g", caption[i], caption[i] eq "" ? "" : "  ", high[i])
        }
    }
}
set datafile separator whitespace
set datafile nocolumnheaders
set key noautotitle

# MARK: Layout in pixels: panels of at most 160 pixels, 14 apart, across the 900-pixel width
columns = columns < panels ? columns : panels
rows = (panels + columns - 1) / columns
wide = 900
gapx = 14
cellw = (wide - 32 - (columns - 1) * gapx) * 1.0 / columns
cellw = cellw < 160 ? cellw : 160
cellh = cellw * height / width
if (cellh > 160) { cellh = 160; cellw = cellh * width / height }

# MARK: Panel titles: the largest font whose lines fit (see the header); wrapped[i] holds the lines
# of panel i joined by \n, lines[i] how many. Widths in em of DejaVu Sans, the font of pngcairo
# (about 1.29 pixels per em and point), rounded up a little.
glyph(c) = strstrt("ijlI.,:;'|!", c) > 0 ? 0.3 : strstrt("frt ()[]-", c) > 0 ? 0.42 : strstrt("mwMW", c) > 0 ? 1.0 \
    : strstrt("ABCDEFGHJKLNOPQRSTUVXYZ", c) > 0 ? 0.78 : 0.66
em(s) = strlen(s) == 0 ? 0 : sum [k=1:strlen(s)] glyph(s[k:k])
array wrapped[panels]
array lines[panels]
# Tries: font size and mode (0: no word cut, at most 2 lines; 1: words cut, at most 3 lines;
# 2: words cut, lines past the third left out)
tries = "11:0 10:0 9:0 8:0 7:0 9:1 8:1 7:2"
done = 0
do for [n=1:words(tries)] {
    if (!done) {
        try = word(tries, n)
        size = try[1:strstrt(try, ":") - 1] + 0
        mode = try[strstrt(try, ":") + 1:] + 0
        fit = 0.95 * cellw / (1.29 * size)  # the width of a panel, in em
        most = 0
        long = 0
        do for [i=1:panels] {
            rest = text[i]." "
            out = ""
            line = ""
            count = 0
            while (strlen(rest) > 0) {
                p = strstrt(rest, " ")
                piece = rest[1:p-1]
                rest = rest[p+1:]
                if (piece ne "") {
                    if (em(piece) > fit) {
                        long = 1
                        if (mode > 0) {
                            while (strlen(piece) > 1 && em(piece."…") > fit) { piece = piece[1:strlen(piece) - 1] }
                            piece = piece."…"
                        }
                    }
                    if (line eq "") {
                        line = piece
                    } else {
                        if (em(line." ".piece) <= fit) {
                            line = line." ".piece
                        } else {
                            out = out.line."\n"
                            count = count + 1
                            line = piece
                        }
                    }
                }
            }
            if (line ne "") { out = out.line; count = count + 1 }
            if (mode == 2 && count > 3) {
                # Keep three lines, the third ending in …
                rest = out."\n"
                out = ""
                do for [k=1:3] { p = strstrt(rest, "\n"); out = out.(k > 1 ? "\n" : "").rest[1:p-1]; rest = rest[p+1:] }
                out = out[1:strlen(out) - 1]."…"
                count = 3
            }
            wrapped[i] = out
            lines[i] = count
            most = count > most ? count : most
        }
        if ((mode == 0 && most <= 2 && !long) || (mode == 1 && most <= 3) || mode == 2) { done = 1; font = size }
    }
}
pitch = 1.65 * font  # pixels from one line of a title to the next
band = most > 0 ? most * pitch + 6 : 4

# MARK: The figure's title, on as many lines as it has, and the height of the figure
heading = 0
if (exists("title")) {
    heading = 1
    rest = title
    while (strstrt(rest, "\n") > 0) { heading = heading + 1; rest = rest[strstrt(rest, "\n") + 1:] }
}
pitchtitle = 1.65 * 13
headroom = heading > 0 ? heading * pitchtitle + 16 : 10
rowgap = 10
tall = int(headroom + rows * (band + cellh) + (rows - 1) * rowgap + 14)
tall = tall > 160 ? tall : 160
left = (wide - columns * cellw - (columns - 1) * gapx) / 2.0

# MARK: Figure: each panel placed by its margins, its title lines as labels above it
set terminal pngcairo size wide, tall enhanced font ",11"
set output output
set border 15 lc rgb "#b0b0b0" lw 0.5
unset tics
unset key
unset colorbox
unset title
set xrange [-0.5:width - 0.5]
set yrange [height - 0.5:-0.5]
set multiplot
do for [k=1:heading] {
    rest = title."\n"
    do for [j=1:k] { p = strstrt(rest, "\n"); piece = rest[1:p-1]; rest = rest[p+1:] }
    set label k piece at screen 0.5, 1 - (8 + (k - 0.5) * pitchtitle) / tall center font ",13" noenhanced
}
do for [i=1:panels] {
    r = (i - 1) / columns
    c = (i - 1) % columns
    x0 = left + c * (cellw + gapx)
    y0 = headroom + r * (band + cellh + rowgap) + band
    set lmargin at screen x0 / wide
    set rmargin at screen (x0 + cellw) / wide
    set tmargin at screen 1 - y0 / tall
    set bmargin at screen 1 - (y0 + cellh) / tall
    rest = wrapped[i]."\n"
    do for [k=1:lines[i]] {  # bottom-aligned: the last line just above the panel
        p = strstrt(rest, "\n"); piece = rest[1:p-1]; rest = rest[p+1:]
        set label 100 + k piece at screen (x0 + cellw / 2) / wide, 1 - (y0 - 4 - (lines[i] - k + 0.5) * pitch) / tall \
            center font sprintf(",%g", font) noenhanced
    }
    if (block[i] >= 0) {
        if (diverging[i]) {
            set palette defined (-1 "#2166AC", -0.5 "#92C5DE", 0 "#F7F7F7", 0.5 "#F4A582", 1 "#B2182B")
            set cbrange [-high[i]:high[i]]
        } else {
            set palette grey
            set cbrange [(low[i] < 0 ? low[i] : 0):(high[i] > 1 ? high[i] : 1)]
        }
        plot $S index block[i] using 1:2:3 with image
    } else {
        # No rows for this panel: its title, if any, over an empty frame
        plot NaN
    }
    do for [k=1:heading] { unset label k }
    heading = 0
    do for [k=1:3] { unset label 100 + k }
}
unset multiplot
