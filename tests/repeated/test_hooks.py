"""Canonical answers per benchmark (what maj@K votes on), and aggregate-only metrics reported per
epoch with their mean and spread."""

from __future__ import annotations

import statistics
from typing import ClassVar

import pytest

from evalsuite.core import registry
from evalsuite.core.benchmark import BenchmarkBase
from evalsuite.core.metrics import Metric, aggregate_only, proportion
from evalsuite.core.record_table import RecordTable
from evalsuite.core.types import BenchmarkResult, MetricValue, SampleRecord
from evalsuite.stats import repeated


@pytest.mark.parametrize("benchmark, same, other", [
    # the same reactant set written two ways (RDKit canonical SMILES, molecule order ignored)
    ("retrosynthesis", (["CC(=O)O.OCC", "CCO"], ["OCC.CC(O)=O"]), ["CC(=O)Cl.OCC"]),
    ("forward-synthesis", ("C1=CC=CC=C1", "c1ccccc1"), "C1CCCCC1"),
    ("tail/large-number-addition", ("14.50", "14.5"), "14.6"),
    ("reaction-conditions", ([{"solvent1": "C1CCOC1", "catalyst1": None}], [{"solvent1": "O1CCCC1"}]),
     [{"solvent1": "CO"}]),
])
def test_equal_answers_have_one_canonical_form(benchmark, same, other):
    bench = registry.create(benchmark)
    first, second = (repeated.canonical_of(bench, value) for value in same)
    assert first == second
    assert repeated.canonical_of(bench, other) != first


def test_majority_ties_go_to_the_first_answer_and_failures_do_not_vote():
    assert repeated.majority(["b", "a", "a", "b"]) == 0
    assert repeated.majority([None, None, "x"]) == 2
    assert repeated.majority([None, None]) is None


class Ratio(BenchmarkBase):
    """Per-sample accuracy plus an aggregate-only statistic computed from all samples together."""

    name = "ratio-toy"
    headline = "twice_accuracy"
    metrics: ClassVar[tuple[Metric, ...]] = (proportion("accuracy"), aggregate_only("twice_accuracy"))

    def aggregate(self, records, seed):
        result: BenchmarkResult = super().aggregate(records, seed)
        right = sum(r.scores["accuracy"] for r in records)
        result.metrics["twice_accuracy"] = MetricValue(value=2 * right / len(records), n=len(records))
        result.headline = "twice_accuracy"
        return result


def test_aggregate_only_metrics_are_the_mean_over_epochs_with_their_spread():
    right = [[1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]  # epoch -> item -> 0/1
    bench = Ratio()
    tables = [RecordTable.of([SampleRecord("ratio-toy", f"i{i}", [], "", None, None, {"accuracy": float(v)},
                                           "final-answer", None, epoch=e) for i, v in enumerate(row)], bench.reads)
              for e, row in enumerate(right)]
    result = repeated.combine(bench, tables, 0).to_dict()
    per_epoch = [2 * sum(row) / 5 for row in right]  # 0.8, 1.2, 2.0
    assert result["metrics"]["twice_accuracy"]["value"] == pytest.approx(statistics.mean(per_epoch))
    assert result["metrics"]["twice_accuracy"]["ci95"] is None
    spread = result["epoch_spread"]["twice_accuracy"]
    assert spread["per_epoch"] == pytest.approx(per_epoch)
    assert spread["sd"] == pytest.approx(statistics.stdev(per_epoch))
    assert (spread["min"], spread["max"]) == (pytest.approx(0.8), pytest.approx(2.0))
    assert result["metrics"]["accuracy"]["value"] == pytest.approx(10 / 15)  # avg@3 over 15 replies
    # the headline is aggregate-only: no pass@k or maj@K of it, consistency still
    assert not any(name.startswith(("pass@", "maj@")) for name in result["metrics"])
    assert result["metrics"]["consistency"]["n"] == 5


def test_pass_at_k_estimator_matches_its_definition():
    import math

    import numpy as np

    n, c = np.array([8, 8, 8, 3]), np.array([0, 3, 8, 1])
    for k in (1, 2, 4, 8):
        expected = [1 - math.comb(int(a - b), k) / math.comb(int(a), k) if a >= k else math.nan
                    for a, b in zip(n, c, strict=True)]
        np.testing.assert_allclose(repeated.pass_at_k(n, c, k), expected)


def test_pass_at_k_for_many_replies_matches_chens_product_form():
    import numpy as np

    n, c, k = 2000, 5, 1000  # binomials far past what float64 holds
    expected = 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))  # Chen et al.'s stable form
    assert repeated.pass_at_k(np.array([n]), np.array([c]), k)[0] == pytest.approx(expected)
    assert repeated.pass_at_k(np.array([], dtype=int), np.array([], dtype=int), 2).shape == (0,)
