"""Matbench Discovery's rules to the letter (issue 31), each against a file worked by hand:

- the outlier mask compares the predicted with the DFT *formation energy*, unrounded
  (``matbench_discovery/data.py`` ``load_df_wbm_with_preds``: ``abs(pred - e_form_dft) >
  MAX_E_FORM_ERROR_THRESHOLD``), so a prediction exactly 5.0 eV/atom off is kept;
- ``rounding=mbd`` rounds truth and predictions to 3 decimals after the mask, as the leaderboard
  does (``matbench_discovery/metrics/discovery.py`` ``prepare_model_predictions``;
  ``models/run_discovery.py`` ``_write_yaml_results``: ``.round(3)``);
- rows left out for a missing truth are counted in results.json.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from evalsuite.benchmarks.crystal_stability import CrystalStability
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared

from .layouts import wbm_row, write_wbm

FORMULAS = ("Fe2 O3", "Na1 Cl1", "Ca1 Ti1 O3", "Li2 Mn1 O3", "Mg1 O1")


def run(bench, path, answer):
    samples = list(bench.samples(path, 0, None))
    records = [graded(bench, s, f"Final Answer: {answer(s)!r} eV/atom") for s in samples]
    return records, declared(bench, bench.aggregate(records, 0)).to_dict()


def test_predictions_exactly_5_ev_off_are_kept(tmp_path):
    # Formation energies of few binary digits (-1.25, -0.5 ...): e_form +/- 5.0 is exact in binary,
    # so |pred - e_form| is exactly 5.0, not above the threshold: Matbench Discovery keeps every
    # one. The hull distances (0.123457, 1e-06 ...) are unrelated to the mask.
    e_forms = [-1.25, -0.5, -2.375, -0.125, -3.0625, -1.75, -0.0625, -2.5]
    hulls = [0.123457, 0.0731, 0.010411, 0.010685, 0.000001, 0.000004, 0.0457, 0.271828]
    rows = [wbm_row(f"wbm-{i}", FORMULAS[i % 5], f"{e:.6f}", f"{h:.6f}", True, index=i)
            for i, (e, h) in enumerate(zip(e_forms, hulls, strict=True))]
    path = write_wbm(tmp_path / "five.csv.gz", rows)
    bench = CrystalStability({"mode": "formation-energy", "source": "wbm"})
    sign = {f"wbm-{i}": (1.0 if i % 2 else -1.0) for i in range(len(rows))}
    records, result = run(bench, path, lambda s: s.target["e_form_per_atom"] + 5.0 * sign[s.id])
    assert result["outlier_mask"]["masked"] == 0
    assert all(r.scores["abs_error"] == pytest.approx(5.0) for r in records)
    assert result["missing_predictions"] == 0
    # the old reading, |e_pred - e_hull| after the hull round trip, masks some of them: the file
    # does tell the two rules apart
    e_pred = np.array(hulls) + (np.array(e_forms) + 5.0 * np.array(list(sign.values()))) - np.array(e_forms)
    assert (np.abs(e_pred - np.array(hulls)) > 5.0).any()


# (e_form, e_hull, predicted e_form), with the call each rule makes, worked by hand:
#            no rounding                                  rounding=mbd (3 decimals)
# A truth 0.0004 unstable, pred exact -> 0.0004 unstable: TN | truth 0.0 stable, pred 0.0 stable: TP
# B truth 0.2 unstable, pred 0.2 - 0.3 = -0.1 stable:    FP | same:                               FP
# C truth -0.05 stable, pred -0.05 stable:               TP | same:                               TP
# D truth 0.3 unstable, pred 0.3 + 0.1 = 0.4 unstable:  TN | same:                               TN
# E truth 0.0 stable, pred 0.0 + 0.0004 unstable:       FN | round(-0.9996) = -1.0, pred 0.0:    TP
HAND = [("-1.5", "0.0004", -1.5), ("-1.0", "0.2", -1.3), ("-2.0", "-0.05", -2.0),
        ("-0.5", "0.3", -0.4), ("-1.0", "0.0", -0.9996)]


@pytest.mark.parametrize(
    "rounding, confusion, f1, precision, recall, accuracy, mae",
    [
        # F1 = 2TP / (2TP + FP + FN); MAE = (0 + 0.3 + 0 + 0.1 + 0.0004) / 5, rounded: (0.3 + 0.1) / 5
        ("none", {"tp": 1, "fn": 1, "fp": 1, "tn": 2}, 2 / 4, 1 / 2, 1 / 2, 3 / 5, 0.4004 / 5),
        ("mbd", {"tp": 3, "fn": 0, "fp": 1, "tn": 1}, 6 / 7, 3 / 4, 1.0, 4 / 5, 0.4 / 5),
    ],
)
def test_rounding_mbd_reproduces_the_leaderboard_rule(tmp_path, rounding, confusion, f1, precision, recall,
                                                       accuracy, mae):
    rows = [wbm_row(f"wbm-{i}", FORMULAS[i], e, h, True, index=i) for i, (e, h, _) in enumerate(HAND)]
    path = write_wbm(tmp_path / "hand.csv.gz", rows)
    bench = CrystalStability({"mode": "formation-energy", "source": "wbm", "rounding": rounding})
    predicted = {f"wbm-{i}": p for i, (_, _, p) in enumerate(HAND)}
    records, result = run(bench, path, lambda s: predicted[s.id])
    assert result["confusion"] == confusion
    metrics = result["metrics"]
    for name, value in (("f1", f1), ("precision", precision), ("recall", recall), ("accuracy", accuracy),
                        ("mae", mae)):
        assert metrics[name]["value"] == pytest.approx(value, abs=1e-9), name
    # per-sample scores follow the same rule as the aggregate
    assert sum(r.scores["correct"] for r in records) == confusion["tp"] + confusion["tn"]
    assert result["rounding"]["name"] == rounding and result["rounding"]["default"] == "none"


def test_left_out_rows_are_counted_in_results_json(tmp_path):
    rows = [wbm_row("wbm-1", "Fe2 O3", "-1.7", "0.0", True, index=0),
            wbm_row("wbm-2", "Na1 Cl1", "-2.0", "", True, index=1),  # no truth: left out
            wbm_row("wbm-3", "Mg1 O1", "-3.0", "", True, index=2),  # no truth: left out
            wbm_row("wbm-4", "Ca1 Ti1 O3", "", "0.1", True, index=3)]  # no e_form: asked, missing
    data = write_wbm(tmp_path / "wbm.csv.gz", rows)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "evalsuite", "run", "--model", "oracle", "--benchmark", "crystal-stability",
           "--set", "mode=formation-energy", "--data", str(data), "--out", str(out), "--no-cache", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads((out / "results.json").read_text())["benchmarks"]["crystal-stability"]
    assert result["n"] == 2
    assert result["left_out"] == {"rows_read": 4, "by_reason": {"no hull distance (no truth)": 2}, "total": 2}
    assert result["no_formation_energy"] == 1 and result["missing_predictions"] == 1
    assert result["rounding"] == {"name": "none", "default": "none", "decimals": None,
                                  "note": result["rounding"]["note"]}
