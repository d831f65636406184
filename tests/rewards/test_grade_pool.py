"""The grade pool: same grades as in process, a per-item cap that never stalls the others, a
crashed worker costing one item."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from evalsuite.core import registry
from evalsuite.core.types import Reply
from evalsuite.engine.grade_pool import GradePool, Item, grade_item
from evalsuite.rewards import grade_many
from evalsuite.rewards.core import grade_of

from .conftest import load_helpers

H = load_helpers()


@pytest.fixture(scope="module")
def retro_items(shared_data):
    bench = registry.create("retrosynthesis")
    samples = list(bench.samples(shared_data / "uspto50k" / "test.csv", 0, 60))
    replies = [bench.oracle_response(s) if i % 3 else json.dumps(["CCO", s.target]) for i, s in enumerate(samples)]
    return [Item("retrosynthesis", {}, s, Reply(text=r)) for s, r in zip(samples, replies)]


def test_pool_grades_as_in_process(retro_items):
    with GradePool(2, timeout_s=30) as pool:
        pooled = pool.grade(retro_items)
    assert pooled == [grade_item(item) for item in retro_items]
    assert sum(score.values["top_1"] for _, score in pooled) == 40  # the oracle replies, two in three


def test_a_capped_item_times_out_and_the_others_are_graded(retro_items):
    slow = Item("retrosynthesis", H.SLOW_OPTIONS, retro_items[0].sample, Reply(text=H.slow_retro_completion()))
    start = time.perf_counter()
    # in process the slow reply takes about a second here; the cap is a quarter of that
    assert grade_item(slow)[0].ok
    uncapped = time.perf_counter() - start
    cap = min(0.5, uncapped / 3)
    with GradePool(2, timeout_s=cap, warm=["retrosynthesis"]) as pool:
        pool.grade(retro_items[:4])  # both workers started and warm: the cap is all the slow item waits for
        submitted = time.perf_counter()
        futures = [pool.submit(slow), *(pool.submit(item) for item in retro_items)]
        slow_future = futures[0]
        prediction, score = slow_future.result(timeout=30)
        waited = time.perf_counter() - submitted
        rest = [f.result(timeout=60) for f in futures[1:]]
        stats = dict(pool.stats)
    result = grade_of(registry.create("retrosynthesis"), prediction, score)
    assert result.status == "timeout" and result.score == 0.0
    assert waited <= cap + 1.0
    assert rest == [grade_item(item) for item in retro_items]
    assert stats["timeouts"] == 1 and stats["crashes"] == 0


def test_a_capped_item_inside_a_chunk_is_the_one_blamed(retro_items):
    """One worker takes all 21 items as one chunk and sends their results at its end: the cap
    still falls on the slow item in the middle, and the ten before it, whose results the
    killed worker held back, are graded again, not lost."""
    slow = Item("retrosynthesis", H.SLOW_OPTIONS, retro_items[0].sample, Reply(text=H.slow_retro_completion()))
    fast = retro_items[:20]
    cap = 0.2  # the slow reply takes about a second uncapped (the test above measures it)
    with GradePool(1, timeout_s=cap, warm=["retrosynthesis"]) as pool:
        pool.grade(fast[:2])  # started and warm
        futures = [pool.submit(item) for item in [*fast[:10], slow, *fast[10:]]]
        outcomes = [f.result(timeout=60) for f in futures]
        stats = dict(pool.stats)
    slow_prediction, _ = outcomes.pop(10)
    assert slow_prediction.failure is not None and slow_prediction.failure.startswith("grader timeout")
    assert outcomes == [grade_item(item) for item in fast]
    assert stats["timeouts"] == 1 and stats["crashes"] == 0


def test_a_killed_worker_fails_one_item_as_an_error(retro_items):
    slow = Item("retrosynthesis", H.SLOW_OPTIONS, retro_items[0].sample, Reply(text=H.slow_retro_completion()))
    with GradePool(1, timeout_s=60, warm=["retrosynthesis"]) as pool:
        future = pool.submit(slow)
        later = [pool.submit(item) for item in retro_items[:5]]
        deadline = time.monotonic() + 30
        while not (pool.workers and pool.workers[0].chunk) and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(pool.workers[0].process.pid, signal.SIGKILL)
        prediction, score = future.result(timeout=30)
        assert [f.result(timeout=60) for f in later] == [grade_item(i) for i in retro_items[:5]]
    result = grade_of(registry.create("retrosynthesis"), prediction, score)
    assert result.status == "error" and "grader crashed" in (result.reason or "")


def test_grade_many_mixes_pooled_and_in_process_grading(retro_items):
    bench = registry.create("tail/levenshtein")
    tail = list(bench.samples(None, 0, 5))
    requests = [("tail/levenshtein", s.target, bench.oracle_response(s)) for s in tail]
    requests += [("retrosynthesis", i.sample.target, i.reply.text) for i in retro_items[:6]]
    grades = grade_many(requests, workers=2)
    assert [g.score for g in grades[:5]] == [1.0] * 5
    assert [g.correct for g in grades[5:]] == [False, True, True, False, True, True]


def test_closed_pool_refuses_work():
    pool = GradePool(1)
    pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(Item("tail/levenshtein", {}, None, Reply(text="")))  # type: ignore[arg-type]


def test_run_grades_through_the_pool_with_its_cap(shared_data, tmp_path):
    """``evalsuite run --grade-workers 2 --grade-timeout CAP``: a reply that keeps RDKit busy is
    journaled as a capped failure and the others are graded as ``--grade-workers 0`` grades them."""
    from evalsuite.cli import main

    data = shared_data / "uspto50k" / "test.csv"
    bench = registry.create("retrosynthesis")
    samples = list(bench.samples(data, 0, 12))
    replies = {s.id: bench.oracle_response(s) for s in samples}
    replies[samples[3].id] = H.slow_retro_completion()
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": i, "response": r}) + "\n" for i, r in replies.items()))
    journals = {}
    for workers in ("0", "2"):
        out = tmp_path / f"run-{workers}"
        assert main(["run", "--model", f"replay/{replay}", "--benchmark", "retrosynthesis", "--data", str(data),
                     "--first", "12", "--out", str(out), "--no-progress", "--no-cache", "--grade-workers", workers, "--set", "k=50",
                     "--grade-timeout", "0.3"]) == 0
        lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
        journals[workers] = {r["id"]: r for r in lines}
    in_process, pooled = journals["0"], journals["2"]
    slow_id = samples[3].id
    assert pooled[slow_id]["extraction"].startswith("failed: grader timeout")
    assert in_process[slow_id]["extraction"] == "json"  # uncapped in process: graded, slowly
    for sid in replies:
        if sid != slow_id:
            assert pooled[sid]["scores"] == in_process[sid]["scores"] and pooled[sid]["scores"]["top_1"] == 1.0
