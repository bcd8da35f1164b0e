"""Finding the one engine: the `curvature` executable."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import CurvatureError

#: The package's source checkout, when it runs from one (python/ beside Package.swift).
_CHECKOUT = Path(__file__).resolve().parents[2]

_found = None


def checkout():
    """The repository this package belongs to, or None when it was installed away from it."""
    return _CHECKOUT if (_CHECKOUT / "Package.swift").is_file() and (_CHECKOUT / "Sources" / "curvature").is_dir() else None


def executable():
    """The `curvature` executable: $CURVATURE_BIN, else `curvature` on PATH, else the release
    build of the checkout this package belongs to (built on first use when missing)."""
    global _found
    named = os.environ.get("CURVATURE_BIN")
    if named:
        if not (os.path.isfile(named) and os.access(named, os.X_OK)):
            raise CurvatureError(f"CURVATURE_BIN={named} is not an executable file", 1)
        return named
    if _found and os.access(_found, os.X_OK):
        return _found
    on_path = shutil.which("curvature")
    if on_path:
        _found = on_path
        return on_path
    repository = checkout()
    if repository is None:
        raise CurvatureError(
            "no curvature executable: set CURVATURE_BIN to its path or put it on PATH "
            "(in a checkout: swift build -c release --product curvature, then .build/release/curvature), "
            "or install this package editable from its checkout (pip install -e ./python) so it can build one", 1)
    built = repository / ".build" / "release" / "curvature"
    if not built.is_file():
        _build(repository)
    _found = str(built)
    return _found


def _build(repository):
    """`swift build -c release --product curvature` in the checkout, its output passed through."""
    swift = shutil.which("swift")
    if swift is None:
        raise CurvatureError(
            f"no curvature executable: none on PATH or in CURVATURE_BIN, and {repository} cannot be built "
            "without the Swift toolchain (swift is not on PATH)", 1)
    print(f"curvature: building the executable in {repository} "
          "(swift build -c release --product curvature; several minutes the first time)", file=sys.stderr, flush=True)
    result = subprocess.run([swift, "build", "-c", "release", "--product", "curvature"], cwd=repository)
    if result.returncode != 0:
        raise CurvatureError(f"swift build -c release --product curvature failed in {repository} (exit {result.returncode})",
                             result.returncode)
