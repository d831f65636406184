"""Engine test helpers: run the CLI in-process or as a subprocess, build replay files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.core import registry
from evalsuite.engine import subset


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "evalsuite.cli", *args],
        capture_output=True, text=True, env=full_env, cwd=cwd, timeout=600,
    )


def oracle_replies(benchmark: str, limit: int, seed: int = 0) -> dict[str, str]:
    """Prompt text -> the benchmark's oracle reply, for a server that answers correctly."""
    bench = registry.create(benchmark)
    return {s.messages[-1]["content"]: bench.oracle_response(s) for s in subset.select(bench, None, seed, limit=limit)}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """An empty reply cache for this test only."""
    path = tmp_path / "cache"
    monkeypatch.setenv("EVALSUITE_CACHE", str(path))
    return path
