"""One error hierarchy: everything evalsuite raises on purpose derives from ``EvalsuiteError``,
so the CLI catches the base and prints one clear line; anything else is a bug and keeps its
traceback."""

from __future__ import annotations

from pathlib import Path


class EvalsuiteError(Exception):
    """A problem the user can act on (bad option, unreadable file, mismatched run directory)."""


class RunError(EvalsuiteError):
    """A run cannot start, continue or be read (bad configuration, mismatched run directory)."""


class BenchmarkError(EvalsuiteError):
    """A benchmark cannot run as configured (bad option, unreadable data)."""


class DataError(BenchmarkError):
    """A data row is broken. The message names the file and line."""

    def __init__(self, path: Path | str, line: int, problem: str):
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = str(path), line, problem


class DataSetError(EvalsuiteError):
    """A data set cannot be found, pulled or verified."""


class BackendError(EvalsuiteError):
    """A model backend cannot be created or started."""


class GateError(EvalsuiteError):
    """Runs that cannot be compared, or bad input. ``problems`` lists every difference found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems
