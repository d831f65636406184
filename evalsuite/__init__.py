"""evalsuite: a scientific benchmark harness for language models.

Kept import-light: ``evalsuite --help`` must not pull in numpy, pandas, RDKit or pymatgen.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {"load_run": "evalsuite.frames", "load_results": "evalsuite.frames"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'evalsuite' has no attribute {name!r}")
