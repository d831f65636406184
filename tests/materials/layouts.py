"""Files in exactly the layouts Matbench Discovery publishes, written by the tests.

WBM summary (``wbm/2023-12-13-wbm-summary.csv.gz``): the 18 columns, in order, that Matbench
Discovery's data page asserts (``site/src/routes/data/data-files-direct-download.md``:
``assert tuple(df_wbm) == ("material_id", "formula", ...)``), as ``compile_wbm_test_set.py``
writes them (``df_summary.round(6).to_csv(...)``: floats to 6 decimals, ``unique_prototype`` as
pandas writes a bool, ``True``/``False``; formulas are pymatgen's unreduced alphabetical formulas,
``"Ag2 Bi2 O6"``). The truth columns are ``e_form_per_atom_mp2020_corrected`` and
``e_above_hull_mp2020_corrected_ppd_mp``; ``e_form_per_atom_wbm`` / ``e_above_hull_wbm`` are WBM's
own values, written here with the *opposite* stability call so that reading them by mistake
flips every label.

MP energies (``mp/2025-02-01-mp-energies.csv.gz``): ``get_mp_energies.py`` writes the Materials
Project thermo documents indexed by ``material_id`` with ``formula_pretty`` renamed ``formula``
and ``nsites`` renamed ``n_sites``, ``symmetry`` replaced by ``spacegroup_symbol``, plus
``protostructure_moyo``. The script does not fix the column order (it follows the API's
documents), so the order below is one possible order; the reader goes by name.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Sequence
from pathlib import Path

WBM_COLUMNS = (
    "material_id", "formula", "n_sites", "volume", "uncorrected_energy", "e_form_per_atom_wbm",
    "e_above_hull_wbm", "bandgap_pbe", "protostructure_spglib_initial_structure",
    "uncorrected_energy_from_cse", "e_correction_per_atom_mp2020", "e_correction_per_atom_mp_legacy",
    "e_form_per_atom_uncorrected", "e_form_per_atom_mp2020_corrected",
    "e_above_hull_mp2020_corrected_ppd_mp", "site_stats_fingerprint_init_final_norm_diff",
    "protostructure_spglib", "unique_prototype",
)
MP_COLUMNS = (
    "material_id", "formula", "formation_energy_per_atom", "energy_per_atom", "energy_above_hull",
    "decomposition_enthalpy", "energy_type", "n_sites", "thermo_type", "spacegroup_symbol",
    "protostructure_moyo",
)
FORMULAS = ("Ag2 Bi2 O6", "Ca1 Ti1 O3", "Fe2 O3", "Li2 Mn1 O3", "Na4 Cl4", "Ba1 Cu2 Se2 Sn1", "K2 Mg1 P2 Ru1 S1")


def wbm_row(material_id: str, formula: str, e_form: str | float, e_hull: str | float,
            unique: bool, index: int = 0) -> list[str]:
    """One row; ``e_form``/``e_hull`` are the truth (text kept as given, e.g. "" or "-0.0")."""
    hull, form = _value(e_hull), _value(e_form)
    decoy_hull = -0.05 if hull > 0 else 0.25  # WBM's own value, on the other side of 0
    return [
        material_id, formula, "4", f"{60 + index % 7:.6f}", f"{-20.5 - index % 5:.6f}",
        f"{form + 0.7:.6f}", f"{decoy_hull:.6f}",
        "0.0", f"A_cP1_221_a:{formula.split()[0]}", f"{-20.5 - index % 5:.6f}", "-0.687", "-0.5",
        f"{form + 0.3:.6f}", str(e_form), str(e_hull),
        "0.01", f"AB_cP2_221_a_b:{index % 11}", "True" if unique else "False",
    ]


def _value(text: str | float) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0  # an empty or broken cell under test: the decoys need some number


def write_wbm(path: Path, rows: Iterable[Sequence[str]], *, compress: bool = True) -> Path:
    opener = gzip.open if compress else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:  # type: ignore[operator]
        writer = csv.writer(handle)
        writer.writerow(WBM_COLUMNS)
        writer.writerows(rows)
    return path


def write_mp(path: Path, rows: Iterable[tuple[str, str, float, float]]) -> Path:
    """``rows``: (material_id, formula_pretty, formation_energy_per_atom, energy_above_hull)."""
    with gzip.open(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MP_COLUMNS)
        for material_id, formula, e_form, e_hull in rows:
            writer.writerow([material_id, formula, e_form, -6.1, e_hull, e_hull, "GGA", 5, "GGA_GGA+U",
                             "Fm-3m", "AB_cF8_225_a_b:Cl-Na"])
    return path
