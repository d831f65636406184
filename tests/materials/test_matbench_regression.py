"""Regression: evalsuite's crystal metrics on a fixed WBM-layout file equal Matbench Discovery's.

The expected values below were computed once, outside this repository, by Matbench Discovery's
own code: ``matbench_discovery/metrics/discovery.py`` (``stable_metrics``,
``discovery_subset_indices``, ``calc_discovery_metrics``) at commit 2c7f9fc4 of
janosh/matbench-discovery, imported unchanged (its package ``__init__`` and ``enums`` replaced by
stubs holding ``STABILITY_THRESHOLD = 0`` and the three column names, since the real ones import
plotting libraries), run with scikit-learn 1.9.1 and pandas 3.1.1 on the file ``wbm_rows`` writes,
read with ``pd.read_csv(...).set_index("material_id", drop=False)`` as ``matbench_discovery.data``
does, with the predictions of ``predictions`` masked as ``load_df_wbm_with_preds`` masks them
(``abs(pred - e_form_per_atom_mp2020_corrected) > 5`` -> NA). Missing predictions are those
refused here. The values are printed with ``repr`` and pasted as literals.
"""

from __future__ import annotations

import pytest

from evalsuite.benchmarks.crystal_stability import CrystalStability
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared

from .layouts import wbm_row, write_wbm

N = 11_000


def uniforms(seed: int):
    """A fixed stream of floats in [0, 1): a 32-bit LCG, so the file never depends on numpy."""
    x = seed
    while True:
        x = (1664525 * x + 1013904223) % 2**32
        yield x / 2**32


def wbm_rows() -> list[list[str]]:
    u = uniforms(2024)
    rows = []
    for i in range(N):
        e_hull = "0.0" if i % 97 == 0 else f"{next(u) * 0.9 - 0.25:.6f}"  # ~28% stable, some at 0 exactly
        e_form = f"{-3.5 + 3.8 * next(u):.6f}"
        unique = next(u) > 0.07
        rows.append(wbm_row(f"wbm-{1 + i // 3000}-{i % 3000 + 1}", "Fe2 O3", e_form, e_hull, unique, index=i))
    return rows


def predictions(rows: list[list[str]]) -> dict[str, float | None]:
    """Predicted formation energies: truth + a spread error, some outliers > 5 eV/atom off, some missing."""
    u = uniforms(7)
    out: dict[str, float | None] = {}
    for i, row in enumerate(rows):
        error = (next(u) - 0.5) * 0.4
        if i % 401 == 0:
            error = 6.5
        elif i % 733 == 0:
            error = -5.5
        out[row[0]] = None if i % 509 == 0 else round(float(row[13]) + error, 6)
    return out


# Matbench Discovery's calc_discovery_metrics on that file (see the module docstring)
# (42 predictions masked, 64 missing in all)
EXPECTED = {
    "full": {'F1': 0.7971599160884298, 'DAF': 2.831594634873323, 'Precision': 0.8165289256198347, 'Recall': 0.7786885245901639, 'Accuracy': 0.8857272727272727, 'TPR': 0.7786885245901639, 'FPR': 0.07089933571793562, 'TNR': 0.9291006642820644, 'FNR': 0.22131147540983606, 'MAE': 0.10001114475128017, 'RMSE': 0.11554966717580846, 'R2': 0.802875344889475, 'TP': 2470, 'FP': 555, 'TN': 7273, 'FN': 702, 'n': 11000},
    "unique-prototypes": {'F1': 0.7962447844228094, 'DAF': 2.8226289806488354, 'Precision': 0.8146567057986481, 'Recall': 0.7786467188031282, 'Accuracy': 0.8849852796859666, 'TPR': 0.7786467188031282, 'FPR': 0.07187198234239206, 'TNR': 0.928128017657608, 'FNR': 0.2213532811968718, 'MAE': 0.10022657420756395, 'RMSE': 0.11573164749177367, 'R2': 0.8020797867373697, 'TP': 2290, 'FP': 521, 'TN': 6728, 'FN': 651, 'n': 10190},
    "most-stable-10k": {'F1': 0.7983266515600488, 'DAF': 2.8226289806488354, 'Precision': 0.8146567057986481, 'Recall': 0.7826384142173616, 'Accuracy': 0.8843, 'TPR': 0.7826384142173616, 'FPR': 0.07364998586372633, 'TNR': 0.9263500141362737, 'FNR': 0.21736158578263842, 'MAE': 0.0993685285, 'RMSE': 0.11489542266651487, 'R2': 0.8007428735540861, 'TP': 2290, 'FP': 521, 'TN': 6553, 'FN': 636, 'n': 10000},
}
NAMES = {"F1": "f1", "DAF": "daf", "Precision": "precision", "Recall": "recall", "Accuracy": "accuracy",
         "TPR": "tpr", "FPR": "fpr", "TNR": "tnr", "FNR": "fnr", "MAE": "mae", "RMSE": "rmse", "R2": "r2"}


@pytest.fixture(scope="module")
def wbm_file(tmp_path_factory):
    rows = wbm_rows()
    return write_wbm(tmp_path_factory.mktemp("mbd") / "wbm.csv.gz", rows), predictions(rows)


@pytest.mark.parametrize("subset", list(EXPECTED))
def test_metrics_equal_matbench_discoverys(wbm_file, subset):
    path, preds = wbm_file
    bench = CrystalStability({"mode": "formation-energy", "source": "wbm", "subset": subset})
    samples = list(bench.samples(path, 0, None))
    replies = ["I cannot determine that." if preds[s.id] is None else f"Final Answer: {preds[s.id]!r} eV/atom"
               for s in samples]
    records = [graded(bench, s, r) for s, r in zip(samples, replies, strict=True)]
    result = declared(bench, bench.aggregate(records, seed=0)).to_dict()
    expected = EXPECTED[subset]
    assert result["subset"]["n"] == expected["n"]
    if subset == "full":
        assert result["outlier_mask"]["masked"] == 42 and result["missing_predictions"] == 64
    assert result["confusion"] == {k.lower(): expected[k] for k in ("TP", "FN", "FP", "TN")}
    for theirs, ours in NAMES.items():
        assert result["metrics"][ours]["value"] == pytest.approx(expected[theirs], rel=1e-9, abs=1e-12), ours
