"""The crystal-stability benchmark: prompts, reply parsing, scoring, aggregation, user data."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.benchmarks.crystal_stability import CrystalStability
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared

from .conftest import NACL_CIF

MODES = ("classify", "e-above-hull", "formation-energy")

# Four made-up materials in the Matbench Discovery summary layout (eV/atom).
ROWS = [
    ("wbm-1", "NaCl", -2.1, -0.01),  # stable (below the hull)
    ("wbm-2", "Fe2O3", -1.7, 0.0),  # stable (on the hull: threshold is inclusive)
    ("wbm-3", "Ca3(PO4)2", -3.0, 0.05),  # unstable
    ("wbm-4", "LiFePO4", -2.5, 0.2),  # unstable
]


def write_csv(path: Path, rows, header=("material_id", "formula", "e_form_per_atom", "e_above_hull")):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def records_for(bench, samples, replies):
    return [graded(bench, sample, reply) for sample, reply in zip(samples, replies, strict=True)]


def oracle_records(bench, samples):
    return records_for(bench, samples, [bench.oracle_response(s) for s in samples])


@pytest.fixture(scope="module")
def embedded():
    return {mode: list(CrystalStability({"mode": mode}).samples(None, 0, None)) for mode in MODES}


# classify / e-above-hull: the 334 shipped compounds, MP's stored truth (61 unstable);
# formation-energy: the 282 whose recomputed hull agrees with it (9 unstable)
SIZES = {"classify": (334, 273), "e-above-hull": (334, 273), "formation-energy": (282, 273)}


@pytest.mark.parametrize("mode", MODES)
def test_oracle_is_perfect_on_embedded_data(embedded, mode):
    bench = CrystalStability({"mode": mode})
    samples = embedded[mode]
    n, stable = SIZES[mode]
    assert len(samples) == n
    result = declared(bench, bench.aggregate(oracle_records(bench, samples), seed=0)).to_dict()
    metrics = result["metrics"]
    assert metrics["f1"]["value"] == 1.0 and metrics["correct"]["value"] == 1.0
    assert result["headline"] == "f1"
    assert result["confusion"] == {"tp": stable, "fp": 0, "tn": n - stable, "fn": 0}
    assert metrics["daf"]["value"] == pytest.approx(n / stable)  # 1 / prevalence when perfect
    if mode == "classify":
        assert "mae" not in metrics
    else:
        assert metrics["mae"]["value"] == 0.0 and metrics["abs_error"]["value"] == 0.0
    assert set(result["baselines"]) == {"dummy", "always-stable"}
    # the baselines show the prevalence of this set: always-stable's precision is the prevalence
    assert result["baselines"]["always-stable"]["precision"] == pytest.approx(stable / n)
    assert result["baselines"]["always-stable"]["f1"] == pytest.approx(2 * stable / (2 * stable + n - stable))
    for name in metrics:
        assert name in result["higher_is_better"], name
    assert result["higher_is_better"]["prevalence"] is None  # descriptive
    assert metrics["prevalence"]["value"] == pytest.approx(stable / n)
    lo, hi = metrics["prevalence"]["ci95"]
    assert lo <= stable / n <= hi
    assert result["subset"]["name"] == "full" and result["subset"]["n"] == n
    assert result["outlier_mask"]["applied"] is (mode == "formation-energy")


def test_embedded_groups_by_arity(embedded):
    bench = CrystalStability({"mode": "classify"})
    samples = embedded["classify"]
    result = bench.aggregate(oracle_records(bench, samples), seed=0)
    groups = result.groups["arity"]
    assert sum(g["n"] for g in groups.values()) == len(samples)
    order = [k for k in ("binary", "ternary", "quaternary", "quinary") if k in groups]
    assert list(groups)[:len(order)] == order
    for value, group in groups.items():
        members = [s for s in samples if s.metadata["arity"] == value]
        assert group["metrics"]["prevalence"]["value"] == pytest.approx(
            sum(s.target["stable"] for s in members) / len(members))


def test_dummy_row_is_seeded(embedded):
    bench = CrystalStability({"mode": "e-above-hull"})
    records = oracle_records(bench, embedded["e-above-hull"])
    first = bench.aggregate(records, seed=0)
    assert first.baselines == bench.aggregate(records, seed=0).baselines
    assert first.baselines["dummy"] != bench.aggregate(records, seed=1).baselines["dummy"]
    assert first.baselines["dummy"]["daf"] == 1.0
    # always calling "on the hull" (0 eV/atom) finds every stable material
    assert first.baselines["always-stable"]["recall"] == 1.0


@pytest.mark.parametrize(
    "mode, reply, value, failure",
    [
        ("e-above-hull", "0.05 eV/atom", 0.05, None),
        ("e-above-hull", "50 meV/atom", 0.05, None),
        ("e-above-hull", "-0.1", -0.1, None),
        ("e-above-hull", "The material is unstable.", None, "invalid: no number in answer"),
        ("e-above-hull", "I cannot determine", None, "refusal"),
        ("formation-energy", "Final Answer: -96.485 kJ/mol", -96.485 / 96.48533212, None),
        ("classify", "The material is unstable.", "unstable", None),
        ("classify", "Reasoning... Final Answer: **stable**", "stable", None),
        ("classify", "I cannot determine", None, "refusal"),
        ("classify", "0.05 eV/atom", None, "invalid: no stability label (stable/unstable) in answer"),
        ("classify", "", None, "empty reply"),
        ("classify", "<think>hmm", None, "unclosed think block"),
    ],
)
def test_replies_parsed_or_rejected(mode, reply, value, failure):
    bench = CrystalStability({"mode": mode})
    sample = next(bench.samples(None, 0, 1))
    prediction = bench.extract(reply, sample)
    assert prediction.failure == failure
    if isinstance(value, float):
        assert prediction.value == pytest.approx(value)
    else:
        assert prediction.value == value
    score = bench.score(prediction, sample)
    if failure:
        assert score.values["correct"] == 0.0 and score.reason == failure


def test_scores_and_aggregate_on_user_data(tmp_path):
    path = write_csv(tmp_path / "summary.csv", ROWS)
    bench = CrystalStability({"mode": "e-above-hull"})
    samples = list(bench.samples(path, 0, None))
    assert [s.id for s in samples] == ["wbm-1", "wbm-2", "wbm-3", "wbm-4"]
    assert "Ca3(PO4)2" in samples[2].prompt_text and "eV/atom" in samples[2].prompt_text
    # predicted hull distances 0, missing, -0.01, 0.3 against truth -0.01, 0, 0.05, 0.2:
    # TP (wbm-1), FN (wbm-2, missing counts as unstable), FP (wbm-3), TN (wbm-4)
    replies = ["Final Answer: 0 eV/atom", "I cannot determine", "-10 meV/atom", "0.3"]
    records = records_for(bench, samples, replies)
    assert [r.scores["correct"] for r in records] == [1.0, 0.0, 0.0, 1.0]
    result = bench.aggregate(records, seed=0).to_dict()
    assert result["confusion"] == {"tp": 1, "fp": 1, "tn": 1, "fn": 1}
    assert result["missing_predictions"] == 1
    m = result["metrics"]
    assert m["f1"]["value"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    # MAE over the three answered rows: 0.01, 0.06, 0.1
    assert m["mae"]["value"] == pytest.approx(0.17 / 3) and m["mae"]["n"] == 3
    assert m["refusal_rate"]["value"] == pytest.approx(0.25)


def test_formation_energy_is_placed_against_the_reference_hull(tmp_path):
    path = write_csv(tmp_path / "summary.csv", ROWS)
    bench = CrystalStability({"mode": "formation-energy"})
    ca = next(s for s in bench.samples(path, 0, None) if s.id == "wbm-3")
    # truth: E_f = -3.0, hull distance 0.05. A prediction of -3.07 is 0.07 lower, so the
    # predicted hull distance is 0.05 - 0.07 = -0.02: called stable (wrongly), error 0.07.
    score = bench.score(bench.extract("Final Answer: -3.07 eV/atom", ca), ca)
    assert score.values["correct"] == 0.0
    assert score.values["abs_error"] == pytest.approx(0.07)
    # -2.96 eV/atom: hull distance 0.05 + 0.04 = 0.09 > 0, unstable, right call
    score = bench.score(bench.extract("Final Answer: -2.96 eV/atom", ca), ca)
    assert score.values["correct"] == 1.0


def test_structured_predictions():
    bench = CrystalStability({"mode": "classify"})
    sample = next(bench.samples(None, 0, 1))
    assert bench.from_structured(True, sample).value == "stable"
    assert bench.from_structured("unstable", sample).value == "unstable"
    assert not bench.from_structured(0.3, sample).ok
    numeric = CrystalStability({"mode": "e-above-hull"})
    assert numeric.from_structured(0.02, sample).value == 0.02
    assert not numeric.from_structured(float("nan"), sample).ok
    assert not numeric.from_structured([1], sample).ok


def test_cif_input_with_user_data(tmp_path):
    rows = [(mid, f, ef, eh, NACL_CIF) for mid, f, ef, eh in ROWS[:1]]
    path = write_csv(tmp_path / "cif.csv", rows,
                     header=("material_id", "formula", "e_form_per_atom", "e_above_hull", "cif"))
    bench = CrystalStability({"input": "cif"})
    (sample,) = bench.samples(path, 0, None)
    assert "_cell_length_a   5.64" in sample.prompt_text


def test_cif_input_needs_structures():
    with pytest.raises(BenchmarkError, match="input=cif needs --data"):
        next(CrystalStability({"input": "cif"}).samples(None, 0, None))


@pytest.mark.parametrize("options", [{"mode": "regress"}, {"input": "poscar"}, {"colour": "red"}])
def test_bad_options_refused(options):
    with pytest.raises(BenchmarkError):
        CrystalStability(options)


@pytest.mark.parametrize(
    "rows, line, problem",
    [
        ([("a", "NaCl", -2, 0), ("b", "Xx2O", -1, 0)], 3, "unknown element"),
        ([("a", "NaCl", "n/a", 0)], 2, "e_form_per_atom is not a number"),
        ([("a", "NaCl", -2, "inf")], 2, "not finite"),
        ([("a", "NaCl", -2, 0), ("a", "KCl", -2, 0)], 3, "duplicate material_id"),
        ([("a", "NaCl", -2)], 2, "3 fields"),
        ([("", "NaCl", -2, 0)], 2, "empty material_id"),
    ],
)
def test_broken_rows_name_file_and_line(tmp_path, rows, line, problem):
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(DataError) as info:
        list(CrystalStability().samples(path, 0, None))
    assert info.value.line == line and problem in info.value.problem
    assert str(path) in str(info.value)


def test_missing_column_and_broken_cif(tmp_path):
    path = write_csv(tmp_path / "cols.csv", [("a", "NaCl", -2)],
                     header=("material_id", "formula", "e_form_per_atom"))
    with pytest.raises(DataError, match="missing column 'e_above_hull'"):
        list(CrystalStability().samples(path, 0, None))
    # the multi-line CIF of row 1 spans lines 2-..; the broken row's own line is reported
    header = ("material_id", "formula", "e_form_per_atom", "e_above_hull", "cif")
    path = write_csv(tmp_path / "cif.csv", [("a", "NaCl", -2, 0, NACL_CIF), ("b", "NaCl", -2, 0, "junk")],
                     header=header)
    with pytest.raises(DataError) as info:
        list(CrystalStability({"input": "cif"}).samples(path, 0, None))
    assert info.value.line == 2 + NACL_CIF.count("\n") + 1 and "cif" in info.value.problem


def test_cli_run_with_user_data(tmp_path):
    data = write_csv(tmp_path / "summary.csv", ROWS)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "evalsuite.cli", "run", "--model", "oracle", "--benchmark",
           "crystal-stability", "--set", "mode=e-above-hull", "--data", str(data), "--out", str(out),
           "--no-cache", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 and "No module named evalsuite.cli" in done.stderr:
        pytest.skip("runner not installed")
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "results.json").read_text())["benchmarks"]["crystal-stability"]
    assert result["confusion"] == {"tp": 2, "fp": 0, "tn": 2, "fn": 0}
    assert result["metrics"]["mae"]["value"] == 0.0
    assert not math.isnan(result["baselines"]["dummy"]["accuracy"])


def test_cli_records_subset_and_mask_beside_the_metrics(tmp_path):
    from .layouts import wbm_row, write_wbm

    rows = [wbm_row(f"wbm-1-{i}", "Fe2 O3", f"{-1.0 - i / 10:.6f}", f"{(i - 3) / 10:.6f}", unique=i != 2, index=i)
            for i in range(1, 7)]
    data = write_wbm(tmp_path / "wbm.csv.gz", rows)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "evalsuite.cli", "run", "--model", "oracle", "--benchmark", "crystal-stability",
           "--set", "mode=formation-energy", "--set", "source=wbm", "--set", "subset=unique-prototypes",
           "--data", str(data), "--out", str(out), "--no-cache", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "results.json").read_text())["benchmarks"]["crystal-stability"]
    assert result["n"] == 5 and result["subset"]["name"] == "unique-prototypes"
    assert result["outlier_mask"]["applied"] is True and result["source"] == "wbm"
    # truth -0.2, -0.1, 0.0 stable (wbm-1-2 left out: a duplicate prototype), 0.1, 0.2, 0.3 unstable
    assert result["confusion"] == {"tp": 2, "fp": 0, "tn": 3, "fn": 0}
    assert result["metrics"]["daf"]["value"] == pytest.approx(1 / (2 / 5))
