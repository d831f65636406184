"""``evalsuite serve rewards`` on loopback, a real server process: the hostile mix (scaled down
from the 10,000 requests of bench/reward_server_mix.py), the OpenRLHF endpoint, the cache and a
clean shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from evalsuite.core import registry

from .conftest import load_helpers

CAP = 0.3
MIX_SIZE = int(os.environ.get("EVALSUITE_HOSTILE_N", "400"))


MIX = load_helpers().MIX  # bench/reward_server_mix.py, loaded once by the helpers


@pytest.fixture(scope="module")
def server():
    port = MIX.free_port()
    process = MIX.start_server(port, CAP)
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(MIX.wait_healthy(url))
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_hostile_mix(server):
    process, url = server
    before = MIX.rss_mb(process.pid)
    result = asyncio.run(MIX.run_mix(url, MIX_SIZE, concurrency=8))
    assert result["problems"] == []
    assert all(set(counts) == {"as expected"} for counts in result["outcome"].values()), result["outcome"]
    kinds = set(result["outcome"])
    assert {"tail-batch", "megabyte", "big-smiles", "bad-json", "too-many", "too-big", "malformed", "slow"} <= kinds
    # alone, a capped item is reported within its cap and one second
    for status, latency_ms in asyncio.run(MIX.timed_slow(url, 2)):
        assert status == "timeout" and latency_ms <= (CAP + 1.0) * 1000
    after = MIX.rss_mb(process.pid)
    assert after - before < 300, (before, after)  # bodies are bounded; nothing accumulates but the cache
    health = asyncio.run(MIX.healthz(url))
    assert health["ok"] and health["timeouts"] >= MIX_SIZE // 50 and health["rejected"] > 0


async def post(url: str, path: str, body) -> tuple[int, object]:
    async with aiohttp.ClientSession() as session, session.post(f"{url}{path}", json=body) as response:
        return response.status, await response.json()


def test_score_cache_and_openrlhf(server):
    _, url = server
    bench = registry.create("tail/bubble-sort")
    sample = next(iter(bench.samples(None, 0, 1)))
    item = {"benchmark": bench.name, "target": sample.target, "completion": bench.oracle_response(sample)}
    status, first = asyncio.run(post(url, "/score", [item]))
    status2, second = asyncio.run(post(url, "/score", [item]))
    assert status == status2 == 200
    assert (first[0]["score"], first[0]["status"], second[0]["cached"]) == (1.0, "ok", True)
    assert {k: v for k, v in first[0].items() if k not in ("latency_ms", "cached")} == \
        {k: v for k, v in second[0].items() if k not in ("latency_ms", "cached")}

    prompt = sample.prompt_text
    label = json.dumps({"benchmark": bench.name, "target": sample.target})
    body = {"query": [prompt + bench.oracle_response(sample), prompt + "Final Answer: 1, 2"],
            "prompts": [prompt, prompt], "labels": [label, label]}
    status, answer = asyncio.run(post(url, "/get_reward", body))
    assert status == 200
    assert answer["rewards"] == answer["scores"] == [1.0, 0.0]
    logs = answer["extra_logs"]  # numbers only: OpenRLHF makes a tensor of every value
    assert logs["status_ok"] == [1.0, 1.0] and logs["status_no_answer"] == [0.0, 0.0]
    assert all(isinstance(v, float) for values in logs.values() for v in values)
    status, answer = asyncio.run(post(url, "/get_reward", {"query": ["x"], "prompts": [], "labels": ["y"]}))
    assert status == 400


def test_clean_shutdown(server):
    process, _ = server
    children = MIX.children(process.pid)
    assert len(children) == 2  # the grade workers
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
