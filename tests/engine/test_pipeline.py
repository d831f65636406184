"""The run's stages: a freed request slot sends its next request before any reply is graded.

A server with a fixed latency answers requests sent together together; if each reply were
graded (and the next request prepared) before the next request left, every such wave would
wait for the whole previous wave's grading. The backend here answers in exactly such waves,
and records, at each request it receives, how many samples the journal holds.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from evalsuite.backends import Request
from evalsuite.core import registry
from evalsuite.core.types import Reply
from evalsuite.engine.runner import RunConfig, Runner

BENCH = "tail/compare-numbers"


class WaveBackend:
    """Holds requests until ``size`` have arrived, then answers them all ``latency`` later."""

    model = "wave"
    cacheable = False

    def __init__(self, size: int, journal: Path, latency: float = 0.02):
        self.size, self.journal, self.latency = size, journal, latency
        self.bench = registry.create(BENCH)
        self.journaled_at_send: list[int] = []
        self.wave: list[Request] = []
        self.answered: asyncio.Event | None = None

    def identity(self) -> dict[str, Any]:
        return {"backend": "wave", "size": self.size}

    async def start(self) -> None:
        self.answered = asyncio.Event()

    async def close(self) -> None:
        pass

    async def generate(self, request: Request) -> Reply:
        lines = self.journal.read_bytes().count(b"\n") if self.journal.exists() else 0
        self.journaled_at_send.append(lines)
        answered = self.answered
        assert answered is not None
        self.wave.append(request)
        if len(self.wave) == self.size:
            asyncio.get_running_loop().call_later(self.latency, answered.set)
            self.wave, self.answered = [], asyncio.Event()
        await answered.wait()
        return Reply(text=self.bench.oracle_response(request.sample))


def test_next_wave_leaves_before_the_previous_wave_is_graded(tmp_path):
    out = tmp_path / "run"
    backend = WaveBackend(size=4, journal=out / "samples.jsonl")
    config = RunConfig(model="wave", benchmarks=[BENCH], out=out, limit=16, max_concurrency=4,
                       use_cache=False, progress=False)
    data = Runner(config, backend=backend).run()
    # Wave k+1 (requests 4k+4 .. 4k+7) is sent the moment wave k is answered: waves 0..k-1
    # are journaled by then (graded while wave k was out), wave k is not yet.
    assert backend.journaled_at_send == [0] * 4 + [0] * 4 + [4] * 4 + [8] * 4
    result = data["benchmarks"][BENCH]
    assert result["n"] == 16 and result["metrics"]["accuracy"]["value"] == 1.0
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len({line["id"] for line in lines}) == 16
