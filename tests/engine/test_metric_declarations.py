"""Every metric a benchmark reports is declared once, and every consumer reads that declaration."""

from __future__ import annotations

import re

import pytest
import yaml

from evalsuite.cli import main
from evalsuite.core.benchmark import BenchmarkBase
from evalsuite.core.metrics import MetricSet, UndeclaredMetric, continuous, descriptive, proportion
from evalsuite.core.types import Prediction, Sample, Score
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared


class Sloppy(BenchmarkBase):
    """Declares ``accuracy`` but also emits ``bonus``."""

    name = "sloppy"
    metrics = (proportion("accuracy"),)

    def extract(self, reply, sample):
        return Prediction(reply, stage="raw")

    def score(self, prediction, sample):
        return Score({"accuracy": 1.0, "bonus": 0.5})


def test_an_undeclared_metric_fails_aggregation():
    bench = Sloppy()
    records = [graded(bench, Sample(str(i), [{"role": "user", "content": "?"}], "x"), "x") for i in range(3)]
    with pytest.raises(UndeclaredMetric, match="bonus"):
        declared(bench, bench.aggregate(records, 0))


def test_declarations_choose_direction_kind_and_failure_values():
    spec = MetricSet([proportion("hit"), proportion("invalid", higher_is_better=False),
                      continuous("tanimoto", worst=0.0), continuous("regret", higher_is_better=False),
                      descriptive("prevalence")])
    assert spec.failure_scores() == {"hit": 0.0, "invalid": 1.0, "tanimoto": 0.0, "regret": None}
    assert spec.directions(["hit", "invalid", "prevalence", "error_rate"]) == \
        {"hit": True, "invalid": False, "prevalence": None, "error_rate": False}
    assert spec["hit_flexible"].kind == "proportion"  # a derived name reads its base's declaration
    with pytest.raises(UndeclaredMetric):
        spec["mae"]  # no inference from the name


class LmEvalYaml(yaml.SafeLoader):
    """Safe loading, with lm-eval's ``!function`` tags kept as their text."""


LmEvalYaml.add_constructor("!function", lambda loader, node: loader.construct_scalar(node))


def test_retrosynthesis_invalid_is_lower_is_better_in_results_export_and_report(tmp_path):
    run = tmp_path / "run"
    assert main(["run", "--model", "oracle", "--benchmark", "retrosynthesis", "--limit", "4", "--out", str(run),
                 "--no-progress"]) == 0
    import json

    result = json.loads((run / "results.json").read_text())["benchmarks"]["retrosynthesis"]
    assert result["higher_is_better"]["invalid"] is False and result["kinds"]["invalid"] == "proportion"
    assert result["higher_is_better"]["top_1"] is True

    assert main(["export", "lm-eval", "--benchmark", "retrosynthesis", "--out", str(tmp_path / "x"),
                 "--limit", "2"]) == 0
    config = yaml.load((tmp_path / "x" / "evalsuite_retrosynthesis.yaml").read_text(), LmEvalYaml)
    exported = {m["metric"]: m["higher_is_better"] for m in config["metric_list"]}
    assert exported["invalid"] is False and exported["top_1"] is True

    page = tmp_path / "r.html"
    assert main(["report", str(run), "--out", str(page)]) == 0
    html = page.read_text()
    assert re.search(r"<td>invalid <b class=\"arrow down\">↓</b></td>", html)
    assert re.search(r"<td>top_1 <b class=\"arrow up\">↑</b></td>", html)
