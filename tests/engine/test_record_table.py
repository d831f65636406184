"""The column table aggregation reads a run into: which line wins, row order, None and missing
scores, and what a benchmark that declares what it reads receives. Expected values are worked
out by hand in the comments."""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from evalsuite.core import intervals, registry
from evalsuite.core.benchmark import BenchmarkBase
from evalsuite.core.digest_set import DigestSet
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.reads import Reads
from evalsuite.core.record_table import RecordTable
from evalsuite.core.types import BenchmarkResult, SampleRecord
from evalsuite.files import results


def line(sample_id: str, scores: dict[str, Any], *, benchmark: str = "toy", extraction: str = "final-answer",
         error: str | None = None, metadata: dict | None = None, **extra: Any) -> dict[str, Any]:
    return {"benchmark": benchmark, "id": sample_id, "prompt": [{"role": "user", "content": "q"}],
            "response": "a long reply that aggregation never keeps", "prediction": extra.get("prediction"),
            "target": extra.get("target"), "scores": scores, "extraction": extraction, "error": error,
            "reason": extra.get("reason"), "metadata": metadata or {}, "prompt_hash": "h", "cached": False}


def write_journal(run: Path, lines: list[dict[str, Any]]) -> Path:
    run.mkdir(parents=True, exist_ok=True)
    (run / "samples.jsonl").write_text("".join(json.dumps(row) + "\n" for row in lines))
    return run


def as_record(row: dict[str, Any]) -> SampleRecord:
    return SampleRecord.from_dict(row)


class Toy(BenchmarkBase):
    name = "toy"
    group_by = ("bucket",)
    # 0/1 scores are proportions (Wilson); "score", "s" and "b" take other values (bootstrap)
    metrics: ClassVar[tuple[Metric, ...]] = (
        *(proportion(name) for name in ("accuracy", "a", "c", "w", "x", "y", "ok")),
        *(continuous(name) for name in ("score", "s", "b", "z")),
    )


class Narrow(BenchmarkBase):
    """Reads one metadata key and the target; its aggregate reports what it was handed."""

    name = "narrow"
    reads: ClassVar[Reads] = Reads(metadata=("bucket",), values=("target",))
    seen: ClassVar[list[SampleRecord]] = []

    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        Narrow.seen = list(records)
        return BenchmarkResult(n=len(records), metrics={})


def test_first_line_per_id_wins(tmp_path):
    run = write_journal(tmp_path, [
        line("b", {"accuracy": 1.0}),
        line("a", {"accuracy": 0.0}, extraction="failed: refusal"),
        line("a", {"accuracy": 1.0}),  # a resume wrote "a" again: ignored
        line("b", {"accuracy": 0.0}, error="timeout"),  # ignored too
    ])
    table = results.load_records(run)["toy"]
    assert [r.id for r in table] == ["a", "b"]
    assert [r.scores for r in table] == [{"accuracy": 0.0}, {"accuracy": 1.0}]
    assert [r.extraction for r in table] == ["failed: refusal", "final-answer"]
    assert [r.error for r in table] == [None, None]
    metrics = Toy().aggregate(table, 0).metrics
    # 2 samples: a wrong (and refused), b right
    assert metrics["accuracy"].value == 0.5 and metrics["accuracy"].n == 2
    assert metrics["refusal_rate"].value == 0.5 and metrics["error_rate"].value == 0.0
    assert metrics["extraction_failure_rate"].value == 0.0  # a refusal is not counted as a failure


def test_row_order_is_id_order_whatever_the_journal_order(tmp_path):
    values = {"s-10": 0.25, "s-2": 0.5, "s-1": 0.75, "t": 1.0, "S-9": 0.0}
    rows = [line(i, {"score": v}) for i, v in values.items()]
    forward = results.load_records(write_journal(tmp_path / "f", rows))["toy"]
    backward = results.load_records(write_journal(tmp_path / "b", rows[::-1]))["toy"]
    # code point order: capitals before small letters, "1" < "10" < "2"
    assert [r.id for r in forward] == ["S-9", "s-1", "s-10", "s-2", "t"]
    assert [r.id for r in backward] == ["S-9", "s-1", "s-10", "s-2", "t"]
    a, b = Toy().aggregate(forward, 3).metrics["score"], Toy().aggregate(backward, 3).metrics["score"]
    # mean (0 + .75 + .25 + .5 + 1) / 5 = 0.5; the bootstrap CI sees the values in the same order
    assert a.value == b.value == 0.5 and a.ci95 == b.ci95
    assert a.ci95 == intervals.bootstrap_interval([0.0, 0.75, 0.25, 0.5, 1.0], seed=3)


def test_ids_outside_ascii_sort_by_code_point(tmp_path):
    ids = ["é", "z", "\U0001f600", "ÿ", "a", "\ud800"]
    table = results.load_records(write_journal(tmp_path, [line(i, {"x": 1.0}) for i in ids]))["toy"]
    # U+61, U+7A, U+E9, U+FF, U+D800 (a lone surrogate, as JSON allows), U+1F600
    assert [r.id for r in table] == ["a", "z", "é", "ÿ", "\ud800", "\U0001f600"]


def test_none_and_missing_scores_are_skipped_but_a_named_score_is_reported(tmp_path):
    run = write_journal(tmp_path, [
        line("1", {"a": 1.0, "b": None, "c": None}),
        line("2", {"a": 0.0}),
        line("3", {"a": None, "b": 0.5, "c": None}),
        line("4", {}, error="no reply"),
    ])
    table = results.load_records(run)["toy"]
    metrics = Toy().aggregate(table, 0).metrics
    assert list(metrics) == ["a", "b", "c", "extraction_failure_rate", "refusal_rate", "error_rate", "truncation_rate"]
    # a: 1.0 and 0.0 apply -> mean 0.5 over n=2, Wilson CI (binary)
    assert (metrics["a"].value, metrics["a"].n) == (0.5, 2)
    assert metrics["a"].ci95 == intervals.wilson_interval(1, 2)
    # b: only 0.5 applies -> n=1, a single value's interval is that value
    assert (metrics["b"].value, metrics["b"].n, metrics["b"].ci95) == (0.5, 1, (0.5, 0.5))
    # c: named by two samples, never given a value -> reported as not applicable
    assert (metrics["c"].value, metrics["c"].n, metrics["c"].ci95) == (None, 0, None)
    assert (metrics["error_rate"].value, metrics["error_rate"].n) == (0.25, 4)
    # counted as 0 where absent, as TAIL's length curve does: rows 1..4 -> 1, 0, 0 (None), 0 (missing)
    assert table.score("a", absent=0.0).tolist() == [1.0, 0.0, 0.0, 0.0]
    assert [r.scores for r in table] == [{"a": 1.0, "b": None, "c": None}, {"a": 0.0},
                                         {"a": None, "b": 0.5, "c": None}, {}]


def test_a_nan_score_is_skipped_by_the_mean_but_stays_nan_where_absent_counts_as_zero():
    rows = [as_record(line("1", {"a": math.nan})), as_record(line("2", {"a": 1.0})), as_record(line("3", {}))]
    table = RecordTable.of(rows, Reads())
    assert Toy().aggregate(rows, 0).metrics["a"].n == 1
    credited = table.score("a", absent=0.0)
    assert math.isnan(credited[0]) and credited[1:].tolist() == [1.0, 0.0]


def test_metrics_in_order_of_first_appearance_by_id_overall_and_per_group(tmp_path):
    run = write_journal(tmp_path, [
        line("b", {"y": 1.0, "x": 0.0}, metadata={"bucket": "S"}), line("a", {"z": 1.0}, metadata={"bucket": "M"}),
        line("c", {"w": 1.0, "z": 0.5}, metadata={"bucket": "S"}),
    ])
    result = Toy().aggregate(results.load_records(run)["toy"], 0)
    rates = ["extraction_failure_rate", "refusal_rate", "error_rate", "truncation_rate"]
    # id order a, b, c: z first, then b's own order y, x, then w
    assert list(result.metrics) == ["z", "y", "x", "w", *rates]
    # group S holds b, c: y, x, then w, z; group M holds a
    assert list(result.groups["bucket"]["S"]["metrics"]) == ["y", "x", "w", "z", *rates]
    assert list(result.groups["bucket"]["M"]["metrics"]) == ["z", *rates]
    assert result.groups["bucket"]["S"]["metrics"]["z"] == {"value": 0.5, "ci95": [0.5, 0.5], "n": 1}


def test_a_benchmark_gets_what_it_declares_and_only_that(tmp_path):
    run = write_journal(tmp_path, [
        line("2", {"accuracy": 1.0}, benchmark="narrow", metadata={"bucket": "S", "length": 3, "task": "t"},
             prediction="41", target="42", reason="wrong answer"),
        line("1", {"accuracy": 0.0}, benchmark="narrow", metadata={"length": 7}, prediction="7", target="7"),
    ])
    results.aggregate(run, {"narrow": Narrow()}, 0)
    first, second = Narrow.seen
    assert (first.id, second.id) == ("1", "2")
    assert (first.metadata, second.metadata) == ({}, {"bucket": "S"})
    assert (first.target, second.target) == ("7", "42")
    assert first.prediction is second.prediction is first.reason is second.reason is None
    assert (first.scores, second.scores) == ({"accuracy": 0.0}, {"accuracy": 1.0})
    assert first.prompt == [] and first.response is None


def test_everything_is_the_default(tmp_path):
    run = write_journal(tmp_path, [line("1", {"accuracy": 1.0}, metadata={"bucket": "S", "lengths": {"n": 3}},
                                        prediction=[1, 2], target=[1, 2], reason="ok")])
    only = results.load_records(run)["toy"][0]
    assert only.metadata == {"bucket": "S", "lengths": {"n": 3}}
    assert (only.prediction, only.target, only.reason) == ([1, 2], [1, 2], "ok")


def test_unknown_value_fields_are_refused():
    with pytest.raises(ValueError, match="prompt"):
        Reads(values=("target", "prompt"))


def test_a_list_keeps_every_record_duplicates_included():
    # the gate resamples with replacement: each copy counts
    rows = [as_record(line("a", {"accuracy": 1.0})), as_record(line("a", {"accuracy": 1.0})),
            as_record(line("b", {"accuracy": 0.0}))]
    result = Toy().aggregate(rows, 0)
    assert result.n == 3 and result.metrics["accuracy"].value == 2 / 3


def test_groups_in_given_order_else_numbers_then_text():
    rows = [as_record(line(str(i), {"accuracy": float(i % 2)}, metadata=meta))
            for i, meta in enumerate([{"bucket": 10}, {"bucket": "L"}, {"bucket": 2}, {"bucket": 2.0}, {}])]
    groups = Toy().aggregate(rows, 0).groups["bucket"]
    # 2 and 2.0 are one group named by its first row (id "2"); the sample without a bucket is in none
    assert list(groups) == ["2", "10", "L"]
    assert [groups[k]["n"] for k in groups] == [2, 1, 1]
    # ids "2" (score 0) and "3" (score 1)
    assert groups["2"]["metrics"]["accuracy"]["value"] == 0.5


def test_registered_benchmarks_read_their_group_by_keys():
    for name, entry in registry.benchmarks().items():
        reads, group_by = entry.factory.reads, entry.factory.group_by
        assert reads.metadata is None or set(group_by) <= set(reads.metadata), name


def test_bootstrap_does_not_depend_on_its_chunk_size(monkeypatch):
    values = [((i * 37) % 101) / 100 for i in range(2500)]
    whole = intervals.bootstrap_interval(values, seed=5)
    monkeypatch.setattr(intervals, "BOOTSTRAP_CHUNK", 7 * 2500 + 3)  # 7 resamples a chunk
    assert intervals.bootstrap_interval(values, seed=5) == whole


def test_digest_set_tells_repeats_across_merges():
    seen = DigestSet()
    assert all(seen.add(str(i).encode()) for i in range(10_000))  # merged into the array twice
    assert len(seen) == 10_000 and len(seen.old) > 0
    assert not seen.add(b"0") and not seen.add(b"9999") and seen.add(b"10000")
    # numpy drops an S16 element's trailing zero bytes: a digest ending in one is still found
    digests = {i: hashlib.blake2b(str(i).encode(), digest_size=16).digest() for i in range(8192)}
    zero_tail = next(i for i, digest in digests.items() if digest.endswith(b"\0") and digest not in seen.recent)
    assert not seen.add(str(zero_tail).encode())


def test_group_metrics_are_those_of_the_groups_own_rows(tmp_path):
    run = write_journal(tmp_path, [
        line("4", {"s": 0.9, "ok": 1.0}, metadata={"bucket": "A"}),
        line("1", {"s": 0.2, "ok": 0.0}, metadata={"bucket": "A"}, extraction="failed: no answer"),
        line("2", {"s": 1.0, "ok": 1.0}, metadata={"bucket": "B"}, extraction="failed: refusal"),
        line("3", {"s": 0.4, "ok": None}, metadata={"bucket": "A"}, error="timeout"),
        line("5", {"s": 0.0, "ok": 0.0}, metadata={"bucket": "B"}),
    ])
    groups = Toy().aggregate(results.load_records(run)["toy"], 7).groups["bucket"]
    a, b = groups["A"]["metrics"], groups["B"]["metrics"]
    # A: ids 1, 3, 4 -> s 0.2, 0.4, 0.9 (not all 0/1: bootstrap over them in id order); ok 0, None, 1
    assert a["s"] == intervals.summarize([0.2, 0.4, 0.9], seed=7).to_dict()
    assert a["ok"] == {"value": 0.5, "ci95": list(intervals.wilson_interval(1, 2)), "n": 2}
    assert [a[k]["value"] for k in ("extraction_failure_rate", "refusal_rate", "error_rate")] == [1 / 3, 0.0, 1 / 3]
    # B: ids 2, 5 -> s 1.0, 0.0: values 0 and 1, but s is declared continuous: bootstrap, not Wilson;
    # one refusal, which is no extraction failure
    assert b["s"] == {"value": 0.5, "ci95": list(intervals.bootstrap_interval([1.0, 0.0], seed=7)), "n": 2}
    assert [b[k]["value"] for k in ("extraction_failure_rate", "refusal_rate", "error_rate")] == [0.0, 0.5, 0.0]


def test_journal_order_moves_no_value_of_a_custom_aggregate(tmp_path):
    """forward-synthesis' hindsight baseline averages over its records as it iterates them: in
    id order now, where it once followed the journal and so the order samples finished in."""
    bench = registry.create("forward-synthesis")
    rows = []
    for index, sample in enumerate(bench.samples(None, 0, None)):
        reply = bench.oracle_response(sample) if index % 3 else "Final Answer: CCO"
        prediction = bench.extract(reply, sample)
        score = bench.score(prediction, sample)
        rows.append(line(sample.id, score.values, benchmark=bench.name, extraction=prediction.extraction_label,
                         metadata=sample.metadata, prediction=prediction.value, target=sample.target,
                         reason=score.reason))
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)  # an order whose float sum differed in the last bit from the first
    first = results.aggregate(write_journal(tmp_path / "f", rows), {bench.name: bench}, 0)
    second = results.aggregate(write_journal(tmp_path / "s", shuffled), {bench.name: bench}, 0)
    assert first == second and first["benchmarks"][bench.name]["baselines"]
