"""Hull results of the embedded set, computed once per input and reused by every later process.

Building the phase diagrams of pymatgen's shipped entries (MP2020 corrections, one hull per
chemical system) takes seconds; the rows it yields depend only on that file and on pymatgen. They
are stored in ``$EVALSUITE_CACHE/crystal/hulls-KEY.json``, KEY a hash of the file's sha256, the
pymatgen version and this module's ``SCHEMA``, so a new pymatgen or another file misses and is
rebuilt. The file is written to a fresh temporary name in the same folder (``mkstemp``: created
exclusively, so an existing file or symlink of that name is never opened) and renamed over the
final name, which replaces a symlink there rather than writing through it; it is read without
following a symlink. A cache that cannot be read or written is rebuilt or skipped, never fatal.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

SCHEMA = 1


def key_of(data_sha256: str, pymatgen_version: str) -> str:
    return hashlib.sha256(f"{SCHEMA}\0{data_sha256}\0{pymatgen_version}".encode()).hexdigest()


def cache_file(key: str) -> Path:
    from evalsuite.core.cache_dir import cache_root

    return cache_root() / "crystal" / f"hulls-{key[:32]}.json"


def load(key: str) -> list[dict[str, Any]] | None:
    """The cached rows for ``key``, or None (absent, unreadable, a symlink, or another key's)."""
    try:
        fd = os.open(cache_file(key), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "r", encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("key") != key:
        return None
    rows = data.get("rows")
    return rows if isinstance(rows, list) and all(isinstance(r, dict) for r in rows) else None


def store(key: str, rows: list[dict[str, Any]]) -> Path | None:
    """Write the rows atomically; None when the cache folder is not writable."""
    final = cache_file(key)
    tmp: str | None = None
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".hulls-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"schema": SCHEMA, "key": key, "rows": rows}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        tmp = None
        return final
    except OSError:
        return None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
