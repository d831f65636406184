"""The gate on runs with 4 replies per item: items paired, each item's mean over its replies the
unit of a paired bootstrap (never McNemar over replies); K=1 vs K=4 explained on avg@K, refused
on pass@k."""

from __future__ import annotations

from evalsuite.gate.compare import gate

N, K, RESAMPLES = 40, 4, 2000


def write(rd, directory, rights: list[int], epochs: int, extra: dict | None = None):
    """Item i is right in its first rights[i] of ``epochs`` replies; results.json as a run writes it."""
    from evalsuite.core.record_table import RecordTable
    from evalsuite.files.results import declared
    from evalsuite.stats import repeated

    records = []
    for i, right in enumerate(rights):
        for epoch in range(epochs):
            rec = rd.record("toy", f"item-{i:04d}", {"accuracy": 1.0 if epoch < right else 0.0},
                            metadata={"bucket": "S"}, prediction=int(epoch < right))
            rec.epoch = epoch
            records.append(rec)
    toy = rd.Toy()
    if epochs == 1:
        result = toy.aggregate(records, 0)
    else:
        tables = [RecordTable.of([r for r in records if r.epoch == e], repeated.reads_of(toy)) for e in range(epochs)]
        result = repeated.combine(toy, tables, 0)
    entry = declared(toy, result).to_dict()
    for key, value in (extra or {}).items():  # e.g. an aggregate-only metric as results.json declares it
        entry[key] = {**entry.get(key, {}), **value} if isinstance(value, dict) else value
    return rd.write_run(directory, "m", records, {"toy": entry})


def policy(tmp_path, metric="accuracy"):
    path = tmp_path / "gate.yaml"
    path.write_text(f"alpha: 0.05\nmargin: 0.02\nseed: 0\nresamples: {RESAMPLES}\n"
                    f"guards:\n  - benchmark: toy\n    metric: {metric}\n")
    return path


def test_every_item_worse_fails_with_the_hand_computed_statistics(rd, tmp_path):
    base = write(rd, tmp_path / "base", [3] * N, K)
    # item means drop by 0.25 (half the items) and 0.75 (the other half): mean drop 0.5
    cand = write(rd, tmp_path / "cand", [2 if i % 2 else 0 for i in range(N)], K)
    code, report = gate(base, cand, policy(tmp_path))
    assert code == 1 and report["verdict"] == "fail"
    (row,) = report["rows"]
    assert row["n"] == N  # items, not N x K replies
    assert row["baseline"] == 0.75 and row["candidate"] == 0.25 and row["diff"] == -0.5
    assert "paired-bootstrap" in row["test"] and "K=4 vs K=4" in row["test"]
    # every resample of items has a negative mean difference: p = 2 * 1 / (B + 1), by hand
    assert row["p"] == 2 / (RESAMPLES + 1)
    assert -0.75 <= row["ci95"][0] <= row["ci95"][1] <= -0.25  # every resampled mean lies between the item differences
    assert row["verdict"] == "FAIL"


def test_changes_that_cancel_item_by_item_pass(rd, tmp_path):
    base = write(rd, tmp_path / "base", [2] * N, K)
    cand = write(rd, tmp_path / "cand", [3 if i % 2 else 1 for i in range(N)], K)  # +0.25 / -0.25
    code, report = gate(base, cand, policy(tmp_path))
    (row,) = report["rows"]
    assert code == 0 and row["diff"] == 0.0 and row["verdict"] == "PASS"
    assert row["p"] > 0.5


def test_k1_against_k4_is_explained_on_avg_and_refused_on_pass_at_k(rd, tmp_path):
    base = write(rd, tmp_path / "base", [1 if i < 30 else 0 for i in range(N)], 1)  # 0.75
    cand = write(rd, tmp_path / "cand", [3] * N, K)  # 0.75 per item
    code, report = gate(base, cand, policy(tmp_path))
    (row,) = report["rows"]
    assert code == 0 and row["n"] == N and row["diff"] == 0.0
    assert row["test"] != "mcnemar-exact" and "K=1 vs K=4" in row["test"]
    assert any("1 reply per item" in note and "4" in note for note in report["notes"])
    # pass@4 of the K=4 baseline against a K=1 candidate: refused, with the reason
    code, report = gate(cand, base, policy(tmp_path, "pass@4"))
    assert code == 2 and "same --epochs" in " ".join(report["problems"])


def test_k1_runs_keep_mcnemar(rd, tmp_path):
    base = write(rd, tmp_path / "base", [1] * N, 1)
    cand = write(rd, tmp_path / "cand", [0 if i < 10 else 1 for i in range(N)], 1)
    code, report = gate(base, cand, policy(tmp_path))
    (row,) = report["rows"]
    assert code == 1 and row["verdict"] == "FAIL"  # a drop of 0.25, significant
    assert row["test"] == "mcnemar-exact" and tuple(row["discordant"]) == (10, 0)
    assert row["p"] == 2 * 0.5 ** 10  # exact McNemar: 2 * P(X <= 0), X ~ Bin(10, 1/2)


def test_an_aggregate_only_metric_of_a_benchmark_that_cannot_be_loaded_is_refused(rd, tmp_path):
    """(recomputing it per epoch needs the benchmark's own aggregate: tests/repeated/test_names.py)"""
    f1 = {"metrics": {"f1": {"value": 0.5, "ci95": None, "n": N}}, "higher_is_better": {"f1": True},
          "kinds": {"f1": "continuous"}}
    base = write(rd, tmp_path / "base", [3] * N, K, f1)
    cand = write(rd, tmp_path / "cand", [3] * N, K, f1)
    code, report = gate(base, cand, policy(tmp_path, "f1"))
    assert code == 2 and "cannot be loaded to recompute it" in report["problems"][0]
