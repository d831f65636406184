"""Issue 30 items 1-3 at the grade pool: a torn progress read is no news (deterministic), a chunk
larger than a pipe buffer never blocks a caller, a planted ``./evalsuite/`` is never imported by a
worker, and workers that die while starting make the pool unhealthy instead of respawning forever."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import pytest

from evalsuite.core import registry
from evalsuite.core.types import Reply
from evalsuite.engine.grade_pool import GradePool, GradePoolUnhealthy, Item, Progress, Worker, grade_item

from .conftest import load_helpers

H = load_helpers()


def tail_items(count: int, pad: int = 0) -> list[Item]:
    """Oracle replies to tail/levenshtein samples, ``pad`` characters of blank lines in front."""
    bench = registry.create("tail/levenshtein")
    return [Item("tail/levenshtein", {}, s, Reply(text="\n" * pad + bench.oracle_response(s)))
            for s in bench.samples(None, 0, count)]


def test_a_torn_progress_read_is_no_news():
    progress = Progress.create()
    try:
        progress.start(4)
        assert progress.read() is not None and progress.read()[0] == 4
        # a worker preempted between its two sequence writes: odd sequence, the start zeroed
        struct.pack_into("<qqd", progress.memory, 0, 7, 5, 0.0)
        assert progress.read(spins=50) is None
        now = time.monotonic()
        worker = Worker(process=None, reader=None, writer=None, progress=progress,  # type: ignore[arg-type]
                        chunk={4: None, 5: None}, since=now, seen=(4, now))  # type: ignore[dict-item]
        index, started = worker.current()
        assert (index, started) == (4, now)  # the last consistent value, never 0.0 (an hour ago)
        progress.start(5)  # the writer finishes: the next read is news again
        assert worker.current()[0] == 5 and worker.current()[1] >= now
    finally:
        progress.close()


def test_a_big_chunk_never_blocks_a_caller():
    """One worker busy with a slow item; 40 items of 200 KB each (chunks far over the 64 KB pipe
    buffer) are submitted meanwhile: every submit returns at once and the cap still holds."""
    bench = registry.create("retrosynthesis")
    data = Path(os.environ.get("EVALSUITE_SHARED_DATA", "/work/shared/data")) / "uspto50k" / "test.csv"
    slow_sample = next(iter(bench.samples(data, 0, 1)))
    slow = Item("retrosynthesis", H.SLOW_OPTIONS, slow_sample, Reply(text=H.slow_retro_completion()))
    big = tail_items(40, pad=200_000)
    start = time.perf_counter()
    assert grade_item(slow)[0].ok  # uncapped it finishes; the cap is a third of what it takes here
    cap = min(0.5, (time.perf_counter() - start) / 3)
    with GradePool(1, timeout_s=cap, warm=["retrosynthesis"]) as pool:
        pool.grade(tail_items(1))  # started and warm
        started = time.perf_counter()
        first = pool.submit(slow)
        slowest_submit = 0.0
        futures = []
        for item in big:
            t = time.perf_counter()
            futures.append(pool.submit(item))
            slowest_submit = max(slowest_submit, time.perf_counter() - t)
        prediction, _ = first.result(timeout=60)
        capped_after = time.perf_counter() - started
        outcomes = [f.result(timeout=120) for f in futures]
        stats = dict(pool.stats)
    assert slowest_submit < 0.5
    assert prediction.failure is not None and prediction.failure.startswith("grader timeout")
    # two tries of the cap (the retry in a fresh worker), each stopped within cap + 1 s, and a worker start
    assert capped_after < 2 * (cap + 1.0) + 15, capped_after
    assert stats["retried"] == 1 and stats["timeouts"] == 1
    assert [score.values["accuracy"] for _, score in outcomes] == [1.0] * 40


PLANTED = "import pathlib\npathlib.Path({marker!r}).write_text('imported')\nraise SystemExit(3)\n"


def plant(folder: Path, marker: Path) -> None:
    (folder / "evalsuite").mkdir(parents=True)
    (folder / "evalsuite" / "__init__.py").write_text(PLANTED.format(marker=str(marker)))


def test_a_planted_package_in_the_working_directory_is_never_imported(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    plant(tmp_path / "cwd", marker)
    monkeypatch.chdir(tmp_path / "cwd")
    with GradePool(1, timeout_s=30) as pool:
        outcomes = pool.grade(tail_items(3))
        stats = dict(pool.stats)
    assert [score.values["accuracy"] for _, score in outcomes] == [1.0] * 3
    assert not marker.exists() and stats["start_failures"] == 0


def test_workers_that_die_while_starting_make_the_pool_unhealthy(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    plant(tmp_path / "path", marker)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "path"))  # children only: this process has evalsuite
    start = time.perf_counter()
    pool = GradePool(1, timeout_s=30)
    try:
        future = pool.submit(tail_items(1)[0])
        with pytest.raises(GradePoolUnhealthy, match="die while starting"):
            future.result(timeout=60)
        assert not pool.healthy and pool.stats["start_failures"] == 5
        with pytest.raises(GradePoolUnhealthy):
            pool.submit(tail_items(1)[0])
    finally:
        closing = time.perf_counter()
        pool.close()
    assert time.perf_counter() - closing < 5  # no respawn loop to wait for
    assert marker.exists()  # the planted package did run: that is what killed the workers
    assert time.perf_counter() - start < 60


def test_grading_in_the_pool_matches_in_process_for_big_replies():
    items = tail_items(5, pad=100_000)
    with GradePool(1, timeout_s=30) as pool:
        assert pool.grade(items) == [grade_item(item) for item in items]
