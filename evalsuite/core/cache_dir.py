"""Where evalsuite keeps its caches (replies, data sets, images, hulls): one folder, one rule."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """evalsuite's cache folder: ``$EVALSUITE_CACHE``, else ``$XDG_CACHE_HOME/evalsuite`` or ``~/.cache/evalsuite``."""
    root = os.environ.get("EVALSUITE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "evalsuite"
    )
    return Path(root)
