"""Shared fixtures: where the reference data lies, and small helpers to run the CLI."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (CI lays it there); EVALSUITE_SHARED_DATA overrides."""
    path = Path(os.environ.get("EVALSUITE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        pytest.fail(f"reference data not found at {path}; set EVALSUITE_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def rd():
    """Helpers that write run directories (tests/gate/rundirs.py), for the gate and report tests."""
    path = ROOT / "tests" / "gate" / "rundirs.py"
    spec = importlib.util.spec_from_file_location("evalsuite_test_rundirs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
