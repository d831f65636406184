"""crystal-stability on the files Matbench Discovery publishes: WBM summary and MP energies
layouts, the decoy ``_wbm`` columns, rows at the threshold, subsets, the outlier mask, the
sources from the data cache and ``data pull`` with the publisher's md5."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from evalsuite.benchmarks.crystal_stability import CrystalStability
from evalsuite.core import datasets
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared

from .layouts import wbm_row, write_mp, write_wbm

# (id, formula, truth e_form, truth hull distance as the file holds it, unique prototype)
WBM = [
    ("wbm-1-1", "Ag2 Bi2 O6", "-1.2", "0.0", True),  # exactly on the hull: stable (inclusive)
    ("wbm-1-2", "Ca1 Ti1 O3", "-3.4", "-0.0", True),  # negative zero: stable
    ("wbm-1-3", "Fe2 O3", "-1.7", "1e-06", True),  # a hair above: unstable
    ("wbm-1-4", "Li2 Mn1 O3", "-2.0", "-1e-06", False),  # a hair below: stable, duplicate prototype
    ("wbm-2-1", "Na4 Cl4", "-2.1", "0.123456", True),
    ("wbm-2-2", "Ba1 Cu2 Se2 Sn1", "-0.9", "", True),  # no truth: left out
    ("wbm-3-1", "K2 Mg1 P2 Ru1 S1", "", "0.4", False),  # no formation energy
]


@pytest.fixture()
def wbm_file(tmp_path):
    return write_wbm(tmp_path / "2023-12-13-wbm-summary.csv.gz",
                     [wbm_row(*row, index=i) for i, row in enumerate(WBM)])


def test_wbm_layout_reads_the_truth_columns_not_the_decoys(wbm_file):
    bench = CrystalStability({"mode": "e-above-hull", "source": "wbm"})
    samples = {s.id: s for s in bench.samples(wbm_file, 0, None)}
    assert list(samples) == ["wbm-1-1", "wbm-1-2", "wbm-1-3", "wbm-1-4", "wbm-2-1", "wbm-3-1"]
    stable = {i: s.target["stable"] for i, s in samples.items()}
    # the decoy e_above_hull_wbm says the opposite of every one of these
    assert stable == {"wbm-1-1": True, "wbm-1-2": True, "wbm-1-3": False, "wbm-1-4": True,
                      "wbm-2-1": False, "wbm-3-1": False}
    assert samples["wbm-2-1"].target["e_above_hull"] == 0.123456
    assert samples["wbm-1-1"].target["e_form_per_atom"] == -1.2  # not e_form_per_atom_wbm (-0.5)
    assert "e_form_per_atom" not in samples["wbm-3-1"].target
    assert samples["wbm-1-1"].metadata["formula"] == "AgBiO3"  # unreduced "Ag2 Bi2 O6" reduced
    assert samples["wbm-3-1"].metadata["arity"] == "quinary"
    # the layout is found by its header without source=wbm, too
    assert [s.id for s in CrystalStability({"mode": "e-above-hull"}).samples(wbm_file, 0, None)] == list(samples)


def test_formation_energy_mode_keeps_rows_without_a_formation_energy_as_missing(wbm_file):
    """Matbench Discovery: ``each_pred = each_true + pred - e_form_dft`` is NaN for such a row,
    and ``fillna`` counts it as an unstable call; the row stays in the denominator."""
    bench = CrystalStability({"mode": "formation-energy"})
    samples = list(bench.samples(wbm_file, 0, None))
    assert [s.id for s in samples] == ["wbm-1-1", "wbm-1-2", "wbm-1-3", "wbm-1-4", "wbm-2-1", "wbm-3-1"]
    last = samples[-1]
    score = bench.score(bench.extract("Final Answer: -1.0 eV/atom", last), last)
    assert score.values["correct"] == 0.0 and "no DFT formation energy" in (score.reason or "")
    # the row without a hull distance (wbm-2-2) is the one left out, and counted
    assert bench.left_out == {"no hull distance (no truth)": 1} and bench.rows_read == 7


def test_unique_prototype_subset_and_its_requirements(wbm_file, tmp_path):
    bench = CrystalStability({"mode": "e-above-hull", "subset": "unique-prototypes"})
    assert [s.id for s in bench.samples(wbm_file, 0, None)] == ["wbm-1-1", "wbm-1-2", "wbm-1-3", "wbm-2-1"]
    mp = write_mp(tmp_path / "mp.csv.gz", [("mp-1", "NaCl", -2.0, 0.0)])
    with pytest.raises(BenchmarkError, match="unique_prototype"):
        list(bench.samples(mp, 0, None))
    with pytest.raises(BenchmarkError, match="unique_prototype"):
        list(bench.samples(None, 0, None))  # the embedded set has no prototype flags
    with pytest.raises(BenchmarkError, match="most-stable-10k ranks"):
        CrystalStability({"mode": "classify", "subset": "most-stable-10k"})


def test_mp_energies_layout(tmp_path):
    path = write_mp(tmp_path / "2025-02-01-mp-energies.csv.gz",
                    [("mp-22862", "NaCl", -2.0782, 0.0), ("mp-1143", "Al2O3", -3.4, 0.01)])
    bench = CrystalStability({"mode": "formation-energy", "source": "mp-energies"})
    samples = list(bench.samples(path, 0, None))
    assert [(s.id, s.target["e_form_per_atom"], s.target["stable"]) for s in samples] == [
        ("mp-22862", -2.0782, True), ("mp-1143", -3.4, False)]
    # source=wbm insists on the WBM layout
    with pytest.raises(DataError, match="e_form_per_atom_mp2020_corrected"):
        list(CrystalStability({"source": "wbm"}).samples(path, 0, None))


def test_broken_flag_and_number_name_the_line(tmp_path):
    rows = [wbm_row("wbm-1-1", "Fe2 O3", "-1.7", "0.1", True)]
    bad = wbm_row("wbm-1-2", "Fe2 O3", "-1.7", "0.1", True)
    bad[-1] = "maybe"
    path = write_wbm(tmp_path / "bad.csv.gz", [*rows, bad])
    with pytest.raises(DataError) as info:
        list(CrystalStability().samples(path, 0, None))
    assert info.value.line == 3 and "unique_prototype" in info.value.problem
    bad = wbm_row("wbm-1-2", "Fe2 O3", "-1.7", "n/a", True)
    path = write_wbm(tmp_path / "bad2.csv", [*rows, bad], compress=False)  # plain CSV works too
    with pytest.raises(DataError, match="e_above_hull_mp2020_corrected_ppd_mp is not a number"):
        list(CrystalStability().samples(path, 0, None))


def test_outlier_mask_in_formation_energy_mode(wbm_file):
    def run(options):
        bench = CrystalStability({"mode": "formation-energy", **options})
        samples = list(bench.samples(wbm_file, 0, None))
        # wbm-1-1 (truth -1.2, on the hull) predicted 6.0 eV/atom too high; the rest exact;
        # wbm-3-1 has no DFT formation energy: its answer cannot be placed (missing, unstable)
        replies = [f"Final Answer: {s.target.get('e_form_per_atom', -1.0) + (6.0 if s.id == 'wbm-1-1' else 0.0)!r}"
                   " eV/atom" for s in samples]
        records = [graded(bench, s, r) for s, r in zip(samples, replies, strict=True)]
        return records, declared(bench, bench.aggregate(records, 0)).to_dict()

    records, masked = run({})
    assert records[0].scores == {"correct": 0.0, "abs_error": None} and "outlier_mask" in records[0].reason
    # masked = missing = unstable: wbm-1-1 (stable) becomes a false negative; not in the MAE
    assert masked["confusion"] == {"tp": 2, "fn": 1, "fp": 0, "tn": 3}
    assert masked["metrics"]["mae"]["value"] == pytest.approx(0.0, abs=1e-12) and masked["metrics"]["mae"]["n"] == 4
    assert masked["outlier_mask"] == {"applied": True, "limit_ev_per_atom": 5.0, "masked": 1}
    assert masked["missing_predictions"] == 2 and masked["no_formation_energy"] == 1
    records, plain = run({"outlier_mask": "false"})
    assert records[0].scores["abs_error"] == pytest.approx(6.0)
    assert plain["confusion"] == {"tp": 2, "fn": 1, "fp": 0, "tn": 3}  # called unstable at +6
    assert plain["metrics"]["mae"]["value"] == pytest.approx(6.0 / 5) and plain["metrics"]["mae"]["n"] == 5
    assert plain["outlier_mask"]["applied"] is False and plain["outlier_mask"]["masked"] == 0


def test_most_stable_10k_ranks_by_predicted_hull_distance(tmp_path):
    # 10,040 unique prototypes and 40 duplicates; predictions exact except a constant shift, so
    # the 10k subset is the 10k lowest true hull distances among the unique prototypes
    n = 10_080
    e_hull = (np.arange(n) * 7919 % n) / n - 0.3  # a permutation of -0.3 .. 0.7
    rows = [wbm_row(f"wbm-{i}", "Fe2 O3", "-1.0", f"{e_hull[i]:.6f}", unique=i % 252 != 0, index=i)
            for i in range(n)]
    path = write_wbm(tmp_path / "big.csv.gz", rows)
    bench = CrystalStability({"mode": "e-above-hull", "subset": "most-stable-10k"})
    samples = list(bench.samples(path, 0, None))
    unique = [i for i in range(n) if i % 252 != 0]
    assert len(samples) == len(unique) == 10_040
    records = [graded(bench, s, f"Final Answer: {s.target['e_above_hull']!r} eV/atom") for s in samples]
    result = declared(bench, bench.aggregate(records, 0)).to_dict()
    truth = np.round(e_hull[unique], 6)
    kept = np.sort(truth)[:10_000]
    assert result["subset"]["n"] == 10_000 and result["subset"]["of"] == 10_040
    tp = int((kept <= 0).sum())
    assert result["confusion"] == {"tp": tp, "fn": 0, "fp": 0, "tn": 10_000 - tp}
    # DAF: precision 1 over the prevalence of all 10,040 unique prototypes, not of the 10k
    prevalence = float((truth <= 0).mean())
    assert result["subset"]["daf_prevalence"] == pytest.approx(prevalence)
    assert result["metrics"]["daf"]["value"] == pytest.approx(1.0 / prevalence)
    assert result["metrics"]["prevalence"]["value"] == pytest.approx(prevalence)


# -- the data cache and data pull ----------------------------------------------------------------


@pytest.fixture()
def file_server(wbm_file, loopback_http):
    body = wbm_file.read_bytes()
    return loopback_http({"/file": body}) + "/file", body


def test_pull_refuses_a_file_whose_md5_is_not_the_publishers(file_server, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    url, _ = file_server
    with pytest.raises(datasets.DataSetError, match="1555268d3aa59d20262cb9d01ce0994b"):
        datasets.pull("wbm-summary", url=url)
    assert datasets.cached_path("wbm-summary") is None
    assert list((tmp_path / "cache" / "data").iterdir()) == []
    with pytest.raises(BenchmarkError, match="evalsuite data pull wbm-summary"):
        list(CrystalStability({"source": "wbm"}).samples(None, 0, None))


def test_pull_verifies_md5_records_sha256_and_the_benchmark_reads_it(file_server, tmp_path, monkeypatch):
    # The real entry's md5 is that of the real 256,963-row file, which no test can download
    # here; the entry is re-pinned to the served file's md5, computed independently below.
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    url, body = file_server
    entry = datasets.DATASETS["wbm-summary"]
    pinned = dataclasses.replace(entry, md5=hashlib.md5(body).hexdigest())
    monkeypatch.setitem(datasets.DATASETS, "wbm-summary", pinned)
    path = datasets.pull("wbm-summary", url=url)
    assert path.read_bytes() == body and datasets.cached_path("wbm-summary") == path
    assert datasets.recorded_sha256("wbm-summary") == hashlib.sha256(body).hexdigest()
    ids = [s.id for s in CrystalStability({"source": "wbm", "mode": "e-above-hull"}).samples(None, 0, None)]
    assert ids == ["wbm-1-1", "wbm-1-2", "wbm-1-3", "wbm-1-4", "wbm-2-1", "wbm-3-1"]


def test_crystal_pull_entries_pin_the_publishers_md5():
    assert datasets.DATASETS["wbm-summary"].md5 == "1555268d3aa59d20262cb9d01ce0994b"
    assert datasets.DATASETS["mp-energies"].md5 == "7eb0c49fc169ba92783f2f6d0d19d741"
    assert datasets.DATASETS["wbm-summary"].url.endswith("/64706751")
    assert datasets.DATASETS["mp-energies"].url.endswith("/52080797")
