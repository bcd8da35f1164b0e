"""What a failed, refused or interrupted run raises, and what the CLI says on the way."""


class CurvatureError(Exception):
    """The `curvature` executable failed: its one-line message and its exit code.

    Exit 1 is bad input or a failure during the run (a file the CLI refuses, a model whose input
    shape does not fit the images, pixels outside [0, 1]…).
    """

    def __init__(self, message, exit_code, command=None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        #: The command line that failed, as a list of arguments.
        self.command = command


class CurvatureUsageError(CurvatureError, ValueError):
    """Exit 2: the CLI refused the options before any work (an unknown option, a value out of range,
    options that contradict each other). Also a ValueError, as a bad argument is in Python."""


class CurvatureInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped the run: `message` says what the CLI kept and how to continue.

    A KeyboardInterrupt, so a script stops as it would on Ctrl-C anywhere else.
    """

    def __init__(self, message, exit_code, work_dir=None):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        #: The folder holding the finished rows (`<out>.partial`); pass it back with resume=True.
        self.work_dir = work_dir


class CurvatureWarning(UserWarning):
    """A line the CLI printed on stderr that is neither progress nor the final error: an assumption
    it made (an image layout, a dropped Softmax head), samples that did not converge, AutoAttack's
    masking checks."""
