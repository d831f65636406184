"""Planning test helpers: the PaRoutes fixtures from the shared data folder, and small route builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def paroutes_dir() -> Path:
    """../shared/data/paroutes (EVALSUITE_SHARED_DATA overrides the data folder); skipped when absent."""
    base = Path(os.environ.get("EVALSUITE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    path = base / "paroutes"
    if not (path / "ref-routes.json").is_file() or not (path / "routes.json").is_file():
        pytest.skip(f"PaRoutes fixtures not found in {path}: `evalsuite data pull paroutes-ref-routes "
                    "paroutes-routes` fetches them into the data cache (copy them here as ref-routes.json and "
                    "routes.json), or set EVALSUITE_SHARED_DATA")
    return path
