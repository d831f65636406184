"""Fixtures of the rewards tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from evalsuite.core import registry


def load_helpers():
    spec = importlib.util.spec_from_file_location("rewards_helpers", Path(__file__).with_name("helpers.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def samples_of(shared_data):
    helpers = load_helpers()

    def make(name: str, limit: int):
        bench = registry.create(name)
        return bench, list(bench.samples(helpers.data_for(name, shared_data), 0, limit))

    return make

