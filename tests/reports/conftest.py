"""Fixture run directories for the report: TAIL replay runs of two 'models', a chemistry
benchmark with molecules, a crystal benchmark with a confusion matrix, and hostile replies."""

from __future__ import annotations

from pathlib import Path

import pytest

XSS_SCRIPT = "<script>window.__pwned = 1; alert(1)</script>"
XSS_IMG = '"><img src=x onerror="window.__pwned = 2">'
XSS_SMILES = 'CCO"/><svg onload="window.__pwned=3">'


def chemistry_run(rd, directory: Path, model: str, wrong: set[int]) -> Path:
    from evalsuite.core.types import BenchmarkResult, MetricValue

    gold = ["CCO", "c1ccccc1O", "CC(=O)Oc1ccccc1C(=O)O", "CN1C=NC2=C1C(=O)N(C(=O)N2C)C"]
    records = []
    for i, smiles in enumerate(gold):
        if i in wrong:
            prediction, score, reason = (["CCC", smiles] if i != 3 else XSS_SMILES), 0.0, "wrong molecule"
        else:
            prediction, score, reason = [smiles], 1.0, None
        records.append(rd.record("retrosynthesis", f"rxn-{i}", {"top1": score}, target=smiles,
                                 prediction=prediction, reason=reason, response=f"Answer: {prediction}",
                                 metadata={"reaction_class": "esterification" if i % 2 else "amide"}))
    acc = sum(r.scores["top1"] for r in records) / len(records)
    result = BenchmarkResult(
        n=len(records), metrics={"top1": MetricValue(acc, (max(0.0, acc - 0.3), min(1.0, acc + 0.2)), 4)},
        groups={"reaction_class": {"amide": {"n": 2, "metrics": {"top1": {"value": 0.5, "ci95": [0.1, 0.9], "n": 2}}},
                                   "esterification": {"n": 2, "metrics": {"top1": {"value": 1.0, "ci95": [0.3, 1.0], "n": 2}}}}},
        headline="top1", higher_is_better={"top1": True}, baselines={"random": {"top1": 0.0}},
        extra={"molecule_fields": ["target", "prediction"]})
    return records, result


def crystal_result(tp, fp, tn, fn):
    from evalsuite.core.types import BenchmarkResult, MetricValue

    f1 = 2 * tp / (2 * tp + fp + fn)
    return BenchmarkResult(
        n=tp + fp + tn + fn, metrics={"f1": MetricValue(f1, (f1 - 0.05, f1 + 0.05), tp + fp + tn + fn),
                                      "mae": MetricValue(0.08, (0.07, 0.09), tp + fp + tn + fn)},
        headline="f1", higher_is_better={"f1": True, "mae": False},
        baselines={"dummy": {"f1": 0.31, "mae": 0.12}}, extra={"confusion": {"tp": tp, "fp": fp, "tn": tn, "fn": fn}})


def build_run(rd, directory: Path, model: str, wrong_fraction: float, chem_wrong: set[int], confusion, hostile: bool):
    tail_dir = rd.replay_run(directory.parent / (directory.name + "-tail"), wrong_fraction, n=240, salt=model)
    from evalsuite.files.frames import read_run

    tail = read_run(tail_dir)
    records = list(tail.records)
    if hostile:
        records[0].response = XSS_SCRIPT
        records[1].response = XSS_IMG
        records[1].reason = XSS_IMG
        for hostile_record in records[:2]:  # graded wrong, as such replies would be: the drill-down shows them
            hostile_record.scores = {**hostile_record.scores, "accuracy": 0.0}
    chem_records, chem_result = chemistry_run(rd, directory, model, chem_wrong)
    crystal_records = [rd.record("crystal-stability", f"mp-{i}", {"mae": 0.05 * (i % 3)}, target=0.0,
                                 prediction=0.1, metadata={}) for i in range(6)]
    results = {rd.TAIL: tail.benchmarks[rd.TAIL], "retrosynthesis": chem_result,
               "crystal-stability": crystal_result(*confusion)}
    configs = {rd.TAIL: tail.config(rd.TAIL)}
    return rd.write_run(directory, model, records + chem_records + crystal_records, results, configs=configs)


@pytest.fixture(scope="session")
def report_runs(tmp_path_factory, rd):
    root = tmp_path_factory.mktemp("report-runs")
    a = build_run(rd, root / "a", "openai/strong-model", 0.05, {1}, (80, 10, 95, 15), hostile=True)
    b = build_run(rd, root / "b", "local/smollm2", 0.40, {0, 2, 3}, (50, 40, 65, 45), hostile=False)
    return [a, b]
