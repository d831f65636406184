"""Issue 30 items 1 and 5 at the reward server, a real server process on loopback: a 4.2 MB
request and 16 slowloris clients leave ``/healthz`` answering within 1 s throughout, the slow item
is stopped at its cap (each try within cap + 1 s), a one-item request is answered while the slow
senders hold their connections; a body nested 100,000 deep is a 400 without a traceback; a pool
whose workers die while starting makes ``/healthz`` answer 503 ``ok: false``."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import aiohttp

from evalsuite.core import registry

from .conftest import load_helpers

CAP = 0.3  # the slow item takes about a second here uncapped
BODY_TIMEOUT = 3.0


MIX = load_helpers().MIX  # bench/reward_server_mix.py, loaded once by the helpers


def tail_rows(count: int, pad: int) -> tuple[list[dict], list[float]]:
    bench = registry.create("tail/levenshtein")
    rows = [{"benchmark": "tail/levenshtein", "target": s.target,  # as given: the rewards API reads a str target as is
             "completion": "\n" * pad + bench.oracle_response(s)} for s in bench.samples(None, 0, count)]
    return rows, [1.0] * count


async def slowloris(port: int, results: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    try:
        for _ in range(30):
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(1.0)
            if reader.at_eof():
                break
    except (ConnectionError, OSError):
        pass
    try:
        status = await asyncio.wait_for(reader.readline(), 5)
    except (TimeoutError, ConnectionError, OSError):
        status = b""
    results.append(status.decode(errors="replace").strip())
    writer.close()


async def hostile_session(url: str, port: int) -> dict:
    latencies: list[float] = []
    stop = asyncio.Event()

    async def poll(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            t = time.perf_counter()
            async with session.get(f"{url}/healthz") as response:
                await response.read()
            latencies.append(time.perf_counter() - t)
            await asyncio.sleep(0.1)

    rows, expected = tail_rows(30, pad=135_000)  # about 4.2 MB with the slow item
    slow = {"benchmark": "retrosynthesis", "target": "CCO", "completion": MIX.slow_completion(7),
            "options": MIX.SLOW_OPTIONS}
    big = json.dumps([slow, *rows]).encode()
    small = json.dumps(tail_rows(1, 0)[0]).encode()
    lorises: list[str] = []
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        poller = asyncio.create_task(poll(session))
        slow_tasks = [asyncio.create_task(slowloris(port, lorises)) for _ in range(16)]
        await asyncio.sleep(0.5)
        t = time.perf_counter()
        async with session.post(f"{url}/score", data=small, headers={"Content-Type": "application/json"}) as r:
            small_status, small_rows = r.status, await r.json()
        small_took = time.perf_counter() - t
        t = time.perf_counter()
        async with session.post(f"{url}/score", data=big, headers={"Content-Type": "application/json"}) as r:
            big_status, big_rows = r.status, await r.json()
        big_took = time.perf_counter() - t
        await asyncio.gather(*slow_tasks)
        stop.set()
        await poller
    return {"size": len(big), "latencies": latencies, "small": (small_status, small_rows, small_took),
            "big": (big_status, big_rows, big_took, expected), "lorises": lorises}


def test_big_request_and_slowloris_leave_healthz_answering(tmp_path):
    port = MIX.free_port()
    process = MIX.start_server(port, CAP, 2, "--max-body", str(8 * 1024 * 1024), "--body-timeout", str(BODY_TIMEOUT))
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(MIX.wait_healthy(url))
        result = asyncio.run(hostile_session(url, port))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err, err[-2000:]
    assert result["size"] > 4_000_000
    assert max(result["latencies"]) < 1.0, max(result["latencies"])
    status, rows, took = result["small"]
    assert status == 200 and rows[0]["score"] == 1.0 and took < BODY_TIMEOUT, took
    status, rows, took, expected = result["big"]
    assert status == 200
    assert rows[0]["status"] == "timeout"
    # two tries (the retry in another worker), each stopped within cap + 1 s; the TAIL items after it
    assert rows[0]["latency_ms"] <= (2 * (CAP + 1.0) + 5) * 1000, rows[0]["latency_ms"]
    assert [row["score"] for row in rows[1:]] == expected
    assert len(result["lorises"]) == 16 and all("408" in line or line == "" for line in result["lorises"]), \
        result["lorises"]


def test_nested_and_odd_bodies_are_4xx(tmp_path):
    port = MIX.free_port()
    process = MIX.start_server(port, CAP, 1)
    url = f"http://127.0.0.1:{port}"
    bodies = [b"[" * 100_000 + b"]" * 100_000, b'{"items": ' + b"[" * 5000 + b"]" * 5000 + b"}",
              json.dumps([{"benchmark": "tail/lcs", "target": json.dumps("1"), "completion": "x",
                           "options": {"a": json.loads("[" * 80 + "]" * 80)}}]).encode(),
              b'{"query": "x", "labels": 3}', b"\xff\xfe", b"null", b'"just a string"', b"[[]]"]

    async def send() -> list[int]:
        statuses = []
        async with aiohttp.ClientSession() as session:
            for body in bodies:
                for path in ("/score", "/get_reward"):
                    async with session.post(f"{url}{path}", data=body,
                                            headers={"Content-Type": "application/json"}) as response:
                        statuses.append(response.status)
            async with session.get(f"{url}/healthz") as response:
                statuses.append(response.status)
        return statuses

    try:
        asyncio.run(MIX.wait_healthy(url))
        statuses = asyncio.run(send())
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert statuses[-1] == 200
    assert all(400 <= s < 500 for s in statuses[:-1]), statuses
    assert b"Traceback" not in err, err[-2000:]


def test_healthz_is_false_when_workers_die_while_starting(tmp_path, monkeypatch):
    """An in-process server (a thread with its own loop) on loopback; its workers find a broken
    ``evalsuite`` on PYTHONPATH (set for child processes only) and die while starting."""
    from aiohttp import web

    from evalsuite.rewards.server import ServerConfig, make_app

    planted = tmp_path / "path" / "evalsuite"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text("raise SystemExit(3)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "path"))
    port = MIX.free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner_box: list = []

    async def serve() -> None:
        runner = web.AppRunner(make_app(ServerConfig(port=port, workers=1, timeout_s=5)))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runner_box.append(runner)
        started.set()

    thread = threading.Thread(target=lambda: (asyncio.set_event_loop(loop), loop.run_until_complete(serve()),
                                              loop.run_forever()), daemon=True)
    thread.start()
    assert started.wait(60)
    url = f"http://127.0.0.1:{port}"

    async def probe() -> tuple[int, dict, int]:
        async with aiohttp.ClientSession() as session:
            body = json.dumps([tail_rows(1, 0)[0][0]]).encode()
            async with session.post(f"{url}/score", data=body, headers={"Content-Type": "application/json"}) as r:
                score_status = r.status
            deadline = time.monotonic() + 60
            while True:
                async with session.get(f"{url}/healthz") as r:
                    status, health = r.status, await r.json()
                if status != 200 or time.monotonic() > deadline:
                    return status, health, score_status
                await asyncio.sleep(0.2)

    try:
        status, health, score_status = asyncio.run(probe())
    finally:
        asyncio.run_coroutine_threadsafe(runner_box[0].cleanup(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
    assert status == 503 and health["ok"] is False and "die while starting" in health["problem"]
    assert score_status == 503
