"""The repeated-sampling names outside the run: metric declarations, load_results, the report's
pass@k block and lm-eval results imported under evalsuite's names."""

from __future__ import annotations

import json

import pytest

from evalsuite import load_results
from evalsuite.cli import main
from evalsuite.core.metrics import MetricSet, proportion
from evalsuite.integrations.devserver import DevServer
from evalsuite.reports.lm_eval_import import read_input
from evalsuite.reports.render import render_report

from .conftest import golds, run_args, seeded_responder


def test_metric_set_resolves_the_derived_names():
    metrics = MetricSet([proportion("top_1"), proportion("top_5")], headline="top_1")
    assert metrics["pass@4"].higher_is_better is True and metrics["pass@4"].kind == "continuous"
    assert metrics["maj@8"].kind == "proportion" and not metrics["maj@8"].per_sample
    assert metrics["top_5_pass@2"].name == "top_5_pass@2"
    assert metrics["consistency"].descriptive
    assert "pass@0" not in metrics and "nothing_pass@2" not in metrics
    assert "pass@2" not in MetricSet([proportion("top_1")])  # no headline: nothing to derive from


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("names")
    with DevServer(seeded_responder(golds(12)), with_body=True) as server:
        assert main(run_args(tmp / "k4", server.url, 12, 4, "--no-cache")) == 0
        assert main(run_args(tmp / "k1", server.url, 12, 1, "--no-cache")) == 0
    return tmp / "k4", tmp / "k1"


def test_load_results_has_the_names_and_epochs(two_runs):
    k4, k1 = two_runs
    frame = load_results(k4, k1)
    rows = frame[frame.run == str(k4)].set_index("metric")
    assert {"pass@1", "pass@2", "pass@4", "maj@4", "consistency"} <= set(rows.index)
    assert set(rows.epochs) == {4}
    assert set(frame[frame.run == str(k1)].epochs) == {1}
    assert "pass@1" not in set(frame[frame.run == str(k1)].metric)


def test_report_draws_pass_at_k_and_says_how_k1_compares(two_runs):
    k4, k1 = two_runs
    html = render_report([k4, k1])
    assert "<h3>pass@k</h3>" in html and 'aria-label="pass@k vs k"' in html
    assert "compare them on the plain metric (avg@K)" in html
    assert "(K=4)" in html
    assert "(epoch 3)" in html  # each reply in the samples list says which one it is
    only = render_report([k1])
    assert "<h3>pass@k</h3>" not in only


def test_lm_eval_repeats_import_under_evalsuite_names(tmp_path):
    path = tmp_path / "results_2025.json"
    path.write_text(json.dumps({
        "results": {
            "gsm8k_cot_self_consistency": {"exact_match,maj@8": 0.61, "exact_match_stderr,maj@8": 0.01,
                                           "exact_match,score-first": 0.52},
            "humaneval": {"pass@1,create_test": 0.3, "pass@10,create_test": 0.5},
        },
        "configs": {"gsm8k_cot_self_consistency": {"repeats": 8}, "humaneval": {}},
        "model_name": "m",
    }))
    run = read_input(path)
    gsm = run.benchmarks["lm-eval/gsm8k_cot_self_consistency"]
    assert set(gsm["metrics"]) == {"maj@8", "exact_match [score-first]"} and gsm["headline"] == "maj@8"
    assert gsm["metrics"]["maj@8"]["value"] == 0.61 and gsm["epochs"] == 8
    human = run.benchmarks["lm-eval/humaneval"]
    assert set(human["metrics"]) == {"pass@1", "pass@10"}


def test_gate_pairs_pass_at_k_and_maj_per_item_as_aggregation_computes_them(two_runs, tmp_path):
    from evalsuite.gate.compare import gate

    k4, _ = two_runs
    entry = json.loads((k4 / "results.json").read_text())["benchmarks"]["tail/large-number-addition"]
    for metric in ("pass@2", "maj@4"):
        policy = tmp_path / f"{metric}.yaml"
        policy.write_text(f"guards:\n  - benchmark: tail/large-number-addition\n    metric: {metric}\n")
        code, report = gate(k4, k4, policy)
        (row,) = report["rows"]
        assert code == 0 and row["n"] == 12 and row["diff"] == 0.0
        assert row["baseline"] == pytest.approx(entry["metrics"][metric]["value"])


def test_gate_recomputes_an_aggregate_only_metric_per_epoch(two_runs, tmp_path):
    """ood_id_ratio (TAIL: out-of-distribution accuracy / in-distribution accuracy) exists only
    per epoch; the gate's value is its mean over the epochs, computed here from the journal."""
    from evalsuite.gate.compare import gate

    k4, _ = two_runs
    lines = [json.loads(line) for line in (k4 / "samples.jsonl").read_text().splitlines()]

    def accuracy(epoch, buckets):
        values = [line["scores"]["accuracy"] for line in lines
                  if line["epoch"] == epoch and line["metadata"]["bucket"] in buckets]
        return sum(values) / len(values)

    ratios = [accuracy(e, {"M", "L"}) / accuracy(e, {"S"}) for e in range(4)]
    policy = tmp_path / "ratio.yaml"
    policy.write_text("resamples: 50\nguards:\n  - benchmark: tail/large-number-addition\n    metric: ood_id_ratio\n")
    code, report = gate(k4, k4, policy)
    (row,) = report["rows"]
    assert code == 0 and row["diff"] == 0.0 and "recomputed per epoch" in row["test"]
    assert row["baseline"] == pytest.approx(sum(ratios) / 4)
