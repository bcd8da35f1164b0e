"""What the commands return: the CLI's CSV as numpy arrays, shaped per sample where rows belong to
one, with `.table` (every column) and `.settings` (the run's `<out>.meta.json`)."""
import numpy as np

from .table import as_table, group_rows, per_row, per_sample, scales_of


class Result:
    """Every CSV column is also an attribute, row by row (`result.eigenvalue`); the subclasses add
    per-sample arrays. `work_dir` is the folder of the files when one was given, else None."""

    def __init__(self, columns, settings=None, work_dir=None):
        self.columns = columns
        self.settings = settings or {}
        self.work_dir = work_dir

    @property
    def table(self):
        """Every column: a pandas DataFrame when pandas is installed, else a dict of numpy arrays."""
        return as_table(self.columns)

    def __getattr__(self, name):
        columns = self.__dict__.get("columns", {})
        if name in columns:
            return columns[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r} (columns: {', '.join(columns)})")

    def __repr__(self):
        rows = len(next(iter(self.columns.values()))) if self.columns else 0
        return f"<{type(self).__name__}: {rows} rows of {','.join(self.columns)}>"


class _PerSample(Result):
    """Rows grouped by sample: (N,) per-sample columns, (N, m) per-row ones — (N, H, m) in an
    h-sweep, with `.h` the H scales (None otherwise)."""

    def __init__(self, columns, settings=None, work_dir=None):
        super().__init__(columns, settings, work_dir)
        self._groups = group_rows(columns)
        self.h = scales_of(columns)
        self.samples = per_sample(columns, "sample", self._groups)

    def _sample(self, name):
        return per_sample(self.columns, name, self._groups) if name in self.columns else None

    def _rows(self, name):
        return per_row(self.columns, name, self._groups, self.h) if name in self.columns else None

    def _once(self, name):
        """A column written on every row but one value per sample (and scale): (N,) or (N, H)."""
        rows = self._rows(name)
        return None if rows is None else rows[..., 0]


class Spectrum(_PerSample):
    """`spectrum`: `.eigenvalues`, `.residuals`, `.ranks`, `.converged` (N, k); `.labels`,
    `.predicted` (N,); `.gradient_norm` with gradient_norm=True."""

    def __init__(self, columns, settings=None, work_dir=None):
        super().__init__(columns, settings, work_dir)
        self.labels, self.predicted = self._sample("label"), self._sample("predicted")
        self.eigenvalues, self.residuals = self._rows("eigenvalue"), self._rows("residual")
        self.ranks, self.converged = self._rows("rank"), self._rows("converged")
        self.gradient_norm = self._once("gradient_norm")


class Density(_PerSample):
    """`density`: `.lambda_` (the CSV's `lambda`) and `.density` (N, grid points)."""

    def __init__(self, columns, settings=None, work_dir=None):
        super().__init__(columns, settings, work_dir)
        self.lambda_, self.density = self._rows("lambda"), self._rows("density")
        self.gradient_norm = self._once("gradient_norm")


class Trace(_PerSample):
    """`trace`: `.trace` and `.stderr` (N,)."""

    def __init__(self, columns, settings=None, work_dir=None):
        super().__init__(columns, settings, work_dir)
        self.trace, self.stderr = self._once("trace"), self._once("stderr")
        self.gradient_norm = self._once("gradient_norm")


class Boundary(_PerSample):
    """`boundary`: per sample (N,) `.labels`, `.predicted`, `.target` (-1: none), `.distance`,
    `.normal_cosine`, `.gradient_norm`, `.status` (and the interpretability columns); per
    curvature (N, k) `.curvatures`, `.residuals`, `.ranks`, `.converged` (NaN, -1, False past a
    sample's rows); at a finite scale also `.direction`, (N, H, m) by `.h`. `.points` (N, C, H, W)
    with points=True."""

    PER_SAMPLE = ("target", "distance", "normal_cosine", "gradient_norm", "status", "alignment", "alignment_cosine",
                  "perturbation_alignment", "perturbation_cosine")

    def __init__(self, columns, settings=None, work_dir=None, points=None):
        super().__init__(columns, settings, work_dir)
        self.labels, self.predicted = self._sample("label"), self._sample("predicted")
        for name in self.PER_SAMPLE:
            if name in columns:
                setattr(self, name, self._sample(name))
        self.curvatures, self.residuals = self._rows("curvature"), self._rows("residual")
        self.ranks, self.converged = self._rows("rank"), self._rows("converged")
        if "direction" in columns:
            self.direction = self._rows("direction")
        self.points = points


class Eval(Result):
    """`eval`: `.accuracy` and `.epsilon` (E,), one per ε of `.attack`; `.samples` the count."""

    def __init__(self, columns, settings=None, work_dir=None):
        super().__init__(columns, settings, work_dir)
        self.attack = str(columns["attack"][0]) if len(columns["attack"]) else None
        self.epsilon, self.accuracy = columns["epsilon"], columns["accuracy"]


class Attack(Result):
    """`attack`: one row per sample, each column an (N,) attribute (`.norm_l2`, `.status`,
    `.broken_by`, …); `.adversarial_images` (N, C, H, W) float32 with adversarial_images=True."""

    def __init__(self, columns, settings=None, work_dir=None, adversarial_images=None):
        super().__init__(columns, settings, work_dir)
        self.adversarial_images = adversarial_images


class Train(Result):
    """`train`: the log, one row per epoch (`.epoch`, `.loss`, `.test_accuracy`, …); `.model` the
    trained model's path."""

    def __init__(self, columns, model, work_dir=None):
        super().__init__(columns, {}, work_dir)
        self.model = model


class Inspection:
    """`inspect`: the CLI's text, and from its lines `.input_shape` (C, H, W), `.classes`,
    `.parameters`, `.activations` and `.piecewise_linear` (exact input Hessian = Gauss–Newton)."""

    def __init__(self, text):
        self.text = text
        lines = text.splitlines()
        head = next(line for line in lines if line.startswith("input: "))
        shape, rest = head[len("input: "):].split(" → ")
        self.input_shape = tuple(int(n) for n in shape.strip("[]").split(", "))
        self.classes = int(rest.split(" classes")[0])
        self.parameters = int(rest.split("; ")[1].split(" ")[0].replace(",", ""))
        activations = next(line for line in lines if line.startswith("activations: "))[len("activations: "):]
        self.activations = [] if activations.startswith("none") else activations.split(", ")
        self.piecewise_linear = any(line.startswith("exact input Hessian: Gauss–Newton only") for line in lines)

    def __repr__(self):
        return self.text


class Comparison:
    """`compare`: per model (by name) `.spectra` (Spectrum), `.eigenvalues` (N, k),
    `.accuracy[model][attack]` (E,) at `.epsilon`, `.boundary` (Boundary, with boundary=True);
    `.profile` and `.tables` (each CSV's columns, by file stem); `.summary` the headline table;
    `.settings` spectra.csv's meta."""

    def __init__(self, tables, summary, settings, work_dir=None):
        self.tables = {name: as_table(columns) for name, columns in tables.items()}
        self.summary, self.settings, self.work_dir = summary, settings, work_dir
        spectra = tables["spectra"]
        names = list(dict.fromkeys(spectra["model"].tolist()))
        self.models = names
        self.spectra = {name: Spectrum(_rows_of(spectra, name)) for name in names}
        self.eigenvalues = {name: result.eigenvalues for name, result in self.spectra.items()}
        self.profile = tables["profile"]
        evaluations = tables["eval"]
        self.epsilon = np.array(list(dict.fromkeys(evaluations["epsilon"].tolist())))
        self.accuracy = {}
        for model, attack, accuracy in zip(evaluations["model"], evaluations["attack"], evaluations["accuracy"]):
            self.accuracy.setdefault(str(model), {}).setdefault(str(attack), []).append(accuracy)
        self.accuracy = {m: {a: np.array(v) for a, v in by.items()} for m, by in self.accuracy.items()}
        self.boundary = {name: Boundary(_rows_of(tables["boundary"], name)) for name in names} if "boundary" in tables else None

    @property
    def table(self):
        return self.tables["spectra"]


class Section(Result):
    """`section`: per model (by name) `.margin` and `.predicted` grids (len(a), len(b)) over `.a`
    and `.b`; `.marks` the points x and x_b (`model,point,a,b`)."""

    def __init__(self, columns, marks, settings=None, work_dir=None):
        super().__init__(columns, settings, work_dir)
        self.marks = marks
        self.a, self.b = np.unique(columns["a"]), np.unique(columns["b"])
        self.margin, self.predicted = {}, {}
        for name in dict.fromkeys(columns["model"].tolist()):
            rows = columns["model"] == name
            i, j = np.searchsorted(self.a, columns["a"][rows]), np.searchsorted(self.b, columns["b"][rows])
            margin = np.full((len(self.a), len(self.b)), np.nan)
            predicted = np.full((len(self.a), len(self.b)), -1, dtype=np.int64)
            margin[i, j], predicted[i, j] = columns["margin"][rows], columns["predicted"][rows]
            self.margin[name], self.predicted[name] = margin, predicted


def _rows_of(columns, model):
    """The rows of one model in a compare CSV, without its model column."""
    rows = columns["model"] == model
    return {name: values[rows] for name, values in columns.items() if name != "model"}
