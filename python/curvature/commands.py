"""The CLI's commands as functions: inputs written where the CLI reads them, the CLI run, its files
read back. Keyword arguments are the command's options (`curvature COMMAND --help`)."""
import os

import numpy as np

from . import results
from .inputs import NAMED_DATA_SHAPES, as_array, data_options, image_shape, model_file
from .options import option_arguments
from .process import run_cli
from .table import read_csv
from .workspace import Workspace, read_meta

#: Options whose values are files the Python layer names itself.
_OUTPUTS = ("out", "out-dir", "points", "images", "model", "models", "data", "labels")


def _sample_job(command, make, model, images, labels, work_dir, progress, input_shape, options, outputs=None, resumable=True):
    """Runs a command that reads one model and the images and writes `<command>.csv` (+ meta);
    a `resumable` one keeps its finished batches when interrupted."""
    with Workspace(work_dir) as workspace:
        data, shape = data_options(images, labels, workspace)
        model_path = model_file(model, workspace, input_shape or shape)
        out = workspace.file(f"{command}.csv")
        extra = [] if outputs is None else outputs(workspace)
        kept = (workspace.resume_hint(), str(workspace.path)) if resumable else (None, None)
        run_cli([command, "--model", model_path, *data, *option_arguments(options, _OUTPUTS), *extra, "--out", out],
                progress, resume_hint=kept[0], work_dir=kept[1])
        return make(read_csv(out), read_meta(out), workspace)


def _array_output(option, name, wanted):
    """An array the command also writes when `wanted` (boundary --points, attack --images): the
    arguments that ask for it and the loader of the written file."""
    def outputs(workspace):
        return [option, workspace.file(name)] if wanted else []

    def load(workspace):
        return np.load(workspace.file(name)) if wanted else None

    return outputs, load


def spectrum(model, images, labels=None, *, work_dir=None, progress=True, input_shape=None, **options):
    """Input-Hessian eigenvalues of each sample (`curvature spectrum`): k=, method=, hessian=, h=,
    part=, objective=, which=, tol=, max_steps=, steps=, block_size=, gradient_norm=, samples=,
    offset=, split=, batch_size=, seed=, dtype=, threads=, shard=, resume=, arch=.

    `model`: a torch.nn.Module (exported to ONNX for the images' shape), an .onnx or .safetensors
    path. `images`: an array (N, C, H, W), (N, H, W, C) or (N, H, W), uint8 or float in [0, 1], with
    `labels` an integer array; or an images .npy with its labels .npy; or a data-set name
    (fashion-mnist, mnist5k, cifar10) or folder. Returns ``results.Spectrum``."""
    return _sample_job("spectrum", lambda c, s, w: results.Spectrum(c, s, w.kept), model, images, labels, work_dir, progress,
                       input_shape, options)


def density(model, images, labels=None, *, work_dir=None, progress=True, input_shape=None, **options):
    """Spectral density of each sample's input Hessian (`curvature density`): probes=, steps=,
    sigma=, lambda_min=, lambda_max=, grid_points=, and the Hessian and sample options of
    ``spectrum``. Returns ``results.Density``."""
    return _sample_job("density", lambda c, s, w: results.Density(c, s, w.kept), model, images, labels, work_dir, progress,
                       input_shape, options)


def trace(model, images, labels=None, *, work_dir=None, progress=True, input_shape=None, **options):
    """Hutchinson estimate of each sample's input-Hessian trace (`curvature trace`): probes=, and the
    Hessian and sample options of ``spectrum``. Returns ``results.Trace``."""
    return _sample_job("trace", lambda c, s, w: results.Trace(c, s, w.kept), model, images, labels, work_dir, progress,
                       input_shape, options)


def boundary(model, images, labels=None, *, points=False, work_dir=None, progress=True, input_shape=None, **options):
    """Each sample's nearest decision-boundary point and the boundary's principal curvatures there
    (`curvature boundary`): k=, which=, tol=, max_steps=, box=, min_cosine=, hessian=, h=,
    random_directions=, interpretability=, search_tol=, … `points=True` also returns the boundary
    points. Returns ``results.Boundary``."""
    outputs, load = _array_output("--points", "points.npy", points)
    return _sample_job("boundary", lambda c, s, w: results.Boundary(c, s, w.kept, points=load(w)), model, images, labels,
                       work_dir, progress, input_shape, options, outputs)


def eval(model, images, labels=None, *, work_dir=None, progress=True, input_shape=None, **options):
    """Clean or robust accuracy (`curvature eval`): attack= (none, fgsm, pgd-linf, …, autoattack-linf,
    autoattack-l2), epsilon= (one or a list), steps=, restarts=, iterations=, queries=, seed=,
    samples=, offset=, batch_size=, threads=. Returns ``results.Eval``."""
    return _sample_job("eval", lambda c, s, w: results.Eval(c, s, w.kept), model, images, labels, work_dir, progress,
                       input_shape, options, resumable=False)


def attack(model, images, labels=None, *, adversarial_images=False, work_dir=None, progress=True, input_shape=None, **options):
    """Per-sample perturbations (`curvature attack`): method= (deepfool, fgsm, pgd-linf, …), epsilon=,
    overshoot=, max_iterations=, steps=, … `adversarial_images=True` also returns the perturbed
    images (the CLI's --images). Returns ``results.Attack``."""
    outputs, load = _array_output("--images", "adversarial.npy", adversarial_images)
    return _sample_job("attack", lambda c, s, w: results.Attack(c, s, w.kept, adversarial_images=load(w)), model, images, labels,
                       work_dir, progress, input_shape, options, outputs, resumable=False)


def _model_list(models, names, workspace, shape):
    """--models (and --names): paths as given, torch modules exported as NAME.onnx."""
    files = [model_file(model, workspace, shape, name=(names[i] if names else f"model{i + 1}")) for i, model in enumerate(models)]
    return ["--models", ",".join(files)] + (["--names", ",".join(names)] if names else [])


def compare(models, images, labels=None, *, names=None, work_dir=None, progress=True, input_shape=None, **options):
    """The study of several models on the same samples (`curvature compare`): spectra, accuracies
    under PGD and AutoAttack at epsilons=, robust_attacks=, boundary=, k=, method=, … `models` a
    list of torch modules or paths, `names` one name each. Returns ``results.Comparison``."""
    with Workspace(work_dir) as workspace:
        data, shape = data_options(images, labels, workspace)
        listed = _model_list(models, names, workspace, input_shape or shape)
        folder = workspace.file("compare")
        run_cli(["compare", *listed, *data, *option_arguments(options, _OUTPUTS + ("names",)), "--out-dir", folder],
                progress, resume_hint=workspace.resume_hint(), work_dir=str(workspace.path))
        tables = {name: read_csv(os.path.join(folder, f"{name}.csv"))
                  for name in ("profile", "spectra", "eval", "boundary") if os.path.exists(os.path.join(folder, f"{name}.csv"))}
        with open(os.path.join(folder, "summary.md"), encoding="utf-8") as file:
            summary = file.read()
        return results.Comparison(tables, summary, read_meta(os.path.join(folder, "spectra.csv")), workspace.kept)


def section(models, images, labels=None, *, sample, names=None, work_dir=None, progress=True, input_shape=None, **options):
    """Cross-sections of the models' decision regions through one sample (`curvature section`):
    direction=, extent=, grid=, seed=, dtype=. Returns ``results.Section``."""
    with Workspace(work_dir) as workspace:
        data, shape = data_options(images, labels, workspace)
        listed = _model_list(models, names, workspace, input_shape or shape)
        out = workspace.file("section.csv")
        run_cli(["section", *listed, *data, "--sample", str(sample), *option_arguments(options, _OUTPUTS + ("names",)), "--out", out],
                progress)
        return results.Section(read_csv(out), read_csv(workspace.file("section.marks.csv")), read_meta(out), workspace.kept)


def inspect(model, *, input_shape=None, arch=None):
    """What the CLI reads in a model (`curvature inspect`); a torch module needs input_shape=(C, H, W).
    Returns ``results.Inspection``."""
    with Workspace() as workspace:
        path = model_file(model, workspace, input_shape)
        return results.Inspection(run_cli(["inspect", path, *option_arguments({"arch": arch})], progress=False))


def train(data, *, out, init=None, work_dir=None, progress=True, input_shape=None, **options):
    """Trains a model (`curvature train`) into `out` (.safetensors; .onnx when `init` is ONNX): arch=,
    mode= (standard, fgsm, pgd, cure, gradnorm), epochs=, batch_size=, optimizer=, lr=, epsilon=,
    lambda_=, cure_h=, train_samples=, robust_samples=, seed=, threads=, resume=CHECKPOINT, …

    `data`: a data-set name or folder, or ((train_images, train_labels), (test_images,
    test_labels)) arrays. `init`: a model to fine-tune (path or torch module). Returns
    ``results.Train``: the log and the model's path."""
    with Workspace(work_dir) as workspace:
        if isinstance(data, (str, os.PathLike)):
            folder, shape = os.fspath(data), NAMED_DATA_SHAPES.get(os.fspath(data))
        else:
            (train_images, train_labels), (test_images, test_labels) = data
            folder = workspace.file("data")
            os.makedirs(folder, exist_ok=True)
            for split, images, labels in (("train", train_images, train_labels), ("test", test_images, test_labels)):
                workspace.save_array(f"data/{split}_images.npy", as_array(images, f"{split} images"))
                workspace.save_array(f"data/{split}_labels.npy", as_array(labels, f"{split} labels"))
            shape = image_shape(as_array(train_images, "train images").shape)
        initial = [] if init is None else ["--init", model_file(init, workspace, input_shape or shape, name="init")]
        options = option_arguments(options, ("out", "data", "init"))
        log = run_cli(["train", "--data", folder, *initial, *options, "--out", os.fspath(out)], progress)
        return results.Train(read_csv(text=log), os.fspath(out), workspace.kept)
