"""Replacing a file safely: a temporary file of a unique name beside it, then ``os.replace``.

A predictable temporary name (``results.json.tmp``, ``NAME.part-PID``) opened for writing
follows a symlink planted there, so anyone who can write the run folder or a shared cache could
make evalsuite overwrite a file elsewhere. ``tempfile.mkstemp`` creates a new file with
``O_CREAT | O_EXCL`` (never a symlink's target) under a random name in the target's own folder,
which keeps the final ``os.replace`` a rename on one file system: atomic, so a reader sees the
old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def temporary_beside(path: Path) -> Path:
    """A new, empty file (mode 0600) of a unique name in ``path``'s folder."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def replacing(path: Path, mode: str = "wb", *, fsync: bool = True) -> Iterator[IO[Any]]:
    """Write a new ``path``: the handle writes a unique temporary file, which replaces ``path``
    when the block ends without an exception and is removed otherwise."""
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            if fsync:
                os.fsync(handle.fileno())
        keep_mode(path, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def keep_mode(path: Path, tmp: Path) -> None:
    """mkstemp makes 0600 files; a replaced file keeps its mode, a new one gets the umask's."""
    try:
        if path.is_symlink():
            raise FileNotFoundError(path)  # a link is replaced by a file of its own: the umask's mode
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)
