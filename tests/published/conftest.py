"""The fixtures of tests/published: hand-written rows in the public formats of SMolInstruct,
ChemBench4K and the Matbench text tasks (a few per task, never copies of the data sets)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "intern-s1"


@pytest.fixture(scope="session")
def fixture_data() -> Path:
    return FIXTURES
