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


@pytest.fixture(scope="module")
def reward_url():
    """``evalsuite serve rewards`` as a real process on a free loopback port (one grade worker)."""
    import asyncio

    spec = importlib.util.spec_from_file_location("reward_server_mix", Path(__file__).parents[2] / "bench" / "reward_server_mix.py")
    mix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mix)
    port = mix.free_port()
    process = mix.start_server(port, 5.0, workers=1)
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(mix.wait_healthy(url))
        yield url
    finally:
        process.kill()
        process.wait()
