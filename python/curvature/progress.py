"""The CLI's progress lines on stderr, shown with tqdm when it is installed, else passed through."""
import re
import sys

# The shapes of the CLI's progress lines (Sources/curvature/Support/Progress.swift and the commands'
# own): "spectrum: 50/200 samples  3.1 samples/s  ETA 48s", "ε = 0.1 (2/3) on 100 samples",
# "compare normal: clean accuracy (1/3) on 20 samples", "epoch 2/5  batch 10/40  loss 0.41 …",
# "spectrum: resuming with 50 of 200 samples done".
_SAMPLES = re.compile(r"^(?:(?P<label>.+?): )?(?P<done>\d+)/(?P<total>\d+) samples  ")
_STEPS = re.compile(r"^(?P<label>.+?) \((?P<done>\d+)/(?P<total>\d+)\) on \d+ samples$")
_EPOCHS = re.compile(r"^epoch (?P<epoch>\d+)/(?P<epochs>\d+)  batch (?P<batch>\d+)/(?P<batches>\d+)  ")
_RESUMING = re.compile(r"^.+: resuming with \d+ of \d+ samples done$")


def parse(line):
    """(label, done, total) of a progress line, or None for any other line."""
    if match := _SAMPLES.match(line):
        return match["label"] or "samples", int(match["done"]), int(match["total"])
    if match := _STEPS.match(line):
        label = re.sub(r"\s*(at )?ε = \S+$", "", match["label"]) or "accuracy"
        return label, int(match["done"]) - 1, int(match["total"])
    if match := _EPOCHS.match(line):
        epoch, batch, batches = int(match["epoch"]), int(match["batch"]), int(match["batches"])
        return "train", (epoch - 1) * batches + batch, int(match["epochs"]) * batches
    if _RESUMING.match(line):
        return line, None, None
    return None


class Progress:
    """Shows progress lines: a tqdm bar per label when tqdm is importable, else the lines on stderr.
    Disabled, it only recognises them, so they are not taken for warnings."""

    def __init__(self, enabled=True):
        self.enabled = enabled
        self._bar = None
        self._label = None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        self._tqdm = tqdm

    def offer(self, line):
        """Shows `line` if it is progress; returns whether it was."""
        parsed = parse(line)
        if parsed is None:
            return False
        if not self.enabled:
            return True
        label, done, total = parsed
        if self._tqdm is None:
            print(line, file=sys.stderr, flush=True)
        elif done is None:
            self._tqdm.write(line, file=sys.stderr)
        else:
            if self._bar is None or label != self._label:
                self.close()
                self._bar = self._tqdm(total=total, desc=label, unit="", leave=True)
                self._label = label
            self._bar.total = total
            self._bar.update(done - self._bar.n)
        return True

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
