from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


def load_rundirs():
    path = Path(__file__).with_name("rundirs.py")
    spec = importlib.util.spec_from_file_location("evalsuite_test_rundirs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def rd():
    """Helpers that write run directories (tests/gate/rundirs.py)."""
    return load_rundirs()
