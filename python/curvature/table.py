"""The CLI's CSV files as numpy columns, and per-sample arrays made of their rows."""
import csv
import io

import numpy as np

#: Columns of whole numbers in the CLI's CSVs (indices, classes, ranks, counts). An empty field
#: (a boundary row without a target or rank) reads as -1; every other numeric column is float64,
#: so exact zeros written as "0" stay floats.
INTEGER_COLUMNS = {"sample", "label", "predicted", "adversarial_predicted", "target", "rank", "samples", "epoch",
                   "row", "col", "unconverged"}
#: Columns of names, kept as text whatever they look like (a model named "1").
TEXT_COLUMNS = {"model", "attack", "status", "broken_by", "direction", "point", "panel"}
#: What an empty field becomes, by the column's dtype kind.
_MISSING = {"i": -1, "f": np.nan, "b": False, "U": ""}


def read_csv(path=None, text=None):
    """Every column of a CSV file (or of `text`) with a header line, in header order, as a numpy array: int64 for
    ``INTEGER_COLUMNS``, bool for true/false, float64 for numbers (nan and inf included), str otherwise."""
    if text is None:
        with open(path, newline="", encoding="utf-8") as file:
            text = file.read()
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows = list(reader)
    return {name: _column(name, [row[i] for row in rows]) for i, name in enumerate(header)}


def _column(name, texts):
    present = [t for t in texts if t != ""]
    if name in INTEGER_COLUMNS:
        return np.array([int(t) if t != "" else -1 for t in texts], dtype=np.int64)
    if name in TEXT_COLUMNS:
        return np.array(texts, dtype=str)
    if present and all(t in ("true", "false") for t in present):
        return np.array([t == "true" for t in texts], dtype=bool)
    try:
        return np.array([float(t) if t != "" else np.nan for t in texts], dtype=np.float64)
    except ValueError:
        return np.array(texts, dtype=str)


def as_table(columns):
    """A pandas DataFrame of the columns when pandas is installed, else the dict of arrays itself."""
    try:
        import pandas
    except ImportError:
        return columns
    return pandas.DataFrame(columns)


def group_rows(columns, by="sample"):
    """The row indices of each run of consecutive rows with one value of `by`, in file order."""
    keys = columns[by]
    if len(keys) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.split(np.arange(len(keys)), starts[1:])


def per_sample(columns, name, groups):
    """A per-sample column: its value on each sample's first row, shape (N,)."""
    return columns[name][[group[0] for group in groups]] if groups else columns[name][:0]


def per_row(columns, name, groups, scales=None):
    """A per-row column packed by sample: shape (N, m) with m the most rows of a sample, or, in an
    h-sweep (`scales`, the distinct h in order), (N, H, m); short groups are padded with NaN, -1,
    False or '' by dtype."""
    values = columns[name]
    fill = _MISSING[values.dtype.kind]
    if scales is None:
        width = max((len(g) for g in groups), default=0)
        packed = np.full((len(groups), width), fill, dtype=values.dtype)
        for i, group in enumerate(groups):
            packed[i, :len(group)] = values[group]
        return packed
    h = columns["h"]
    width = max((int(np.sum(h[g] == s)) for g in groups for s in scales), default=0)
    packed = np.full((len(groups), len(scales), width), fill, dtype=values.dtype)
    for i, group in enumerate(groups):
        for j, scale in enumerate(scales):
            rows = group[h[group] == scale]
            packed[i, j, :len(rows)] = values[rows]
    return packed


def scales_of(columns):
    """The distinct h of an h-sweep in the order the rows give them, or None without an h column."""
    if "h" not in columns:
        return None
    return np.array(list(dict.fromkeys(columns["h"].tolist())), dtype=np.float64)
