"""Running the `curvature` executable: its stderr read line by line into progress, warnings and the
final error; Ctrl-C passed on to it, so it keeps its finished work."""
import signal
import subprocess
import threading
import warnings

from .errors import CurvatureError, CurvatureInterrupted, CurvatureUsageError, CurvatureWarning
from .discovery import executable
from .progress import Progress

#: The CLI's exit statuses (Sources/curvature/CurvatureCommand.swift).
USAGE_ERROR = 2
INTERRUPTED = (128 + signal.SIGINT, 128 + signal.SIGTERM)


def run_cli(arguments, progress=True, resume_hint=None, work_dir=None):
    """Runs `curvature ARGUMENTS…` and returns its stdout.

    Progress lines go to ``Progress``; every other stderr line becomes a ``CurvatureWarning`` once
    the run succeeds. A failure raises ``CurvatureError`` (``CurvatureUsageError`` for exit 2) with
    the CLI's last stderr line, after warning the lines before it. Ctrl-C is sent on to the child
    (which finishes its batch, or stops at once on a second Ctrl-C) and raises
    ``CurvatureInterrupted`` with the CLI's word on what it kept, followed by `resume_hint`;
    `work_dir` is the folder that keeps it (None: nothing worth keeping).
    """
    command = [executable(), *arguments]
    # Its own session: a terminal's Ctrl-C reaches it only through us, once per press.
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             encoding="utf-8", errors="replace", start_new_session=True)
    # Both pipes are read by threads, so a Ctrl-C (raised in this, the main thread) can come at any
    # moment without losing a line: here it is only ever waiting.
    stdout, lines = [], []
    shown = Progress(progress)

    def read_stderr():
        for line in child.stderr:
            line = line.strip()
            if line and not shown.offer(line):
                lines.append(line)

    readers = [threading.Thread(target=lambda: stdout.append(child.stdout.read()), daemon=True),
               threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    interrupts = 0
    try:
        while True:
            try:
                child.wait()
                for reader in readers:
                    reader.join()
                break
            except KeyboardInterrupt:
                interrupts += 1
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)  # the first: finish the batch; the second: stop now
    finally:
        shown.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    child.stdout.close()
    child.stderr.close()
    code = child.returncode
    if code == 0:
        _warn(lines)
        if interrupts:  # the run ended before the signal took effect: its files are complete
            where = f" in {work_dir}" if work_dir else ""
            raise CurvatureInterrupted(f"curvature {arguments[0]}: interrupted as it finished; its output is complete{where}",
                                       code, work_dir)
        return stdout[0] if stdout else ""
    if code in INTERRUPTED or (interrupts and code < 0):
        said = [line for line in lines if "interrupted" in line or "stopped" in line]
        _warn([line for line in lines if line not in said])
        kept = said[-1] if said else f"curvature {arguments[0]}: stopped before it had started"
        raise CurvatureInterrupted(kept + (f"; {resume_hint}" if resume_hint and said else ""), code, work_dir)
    message = lines[-1] if lines else f"curvature {arguments[0]} ended with exit code {code} and no message"
    _warn(lines[:-1])
    error = CurvatureUsageError if code == USAGE_ERROR else CurvatureError
    raise error(message, code, command)


def _warn(lines):
    for line in lines:
        warnings.warn(line, CurvatureWarning, stacklevel=4)
