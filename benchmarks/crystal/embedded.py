"""The embedded set: the Materials Project compounds pymatgen ships (``calc_compounds.json.gz``,
423 entries: 89 elements and 334 compounds, each with the hull distance Materials Project stored).

- ``stored_materials``: all 334 compounds (two or more elements) with Materials Project's stored
  hull distance as truth, 61 of them unstable (prevalence 273/334 = 0.817). Used in classify and
  e-above-hull modes. Needs no hull: it reads the JSON and parses formulas (a fraction of a second).
- ``self_consistent_materials``: the 282 compounds whose hull distance recomputed from the 423
  shipped entries alone (MP2020 corrections, one phase diagram per chemical system) equals the
  stored one within 1e-6 eV/atom, with the recomputed formation energy and decomposition (9 of
  them unstable). Formation-energy mode needs these: its predicted hull distance is placed
  against this hull, so truth and hull must agree. The 52 left out are those whose shipped
  competing phases are incomplete (see ``scorers/materials.py``), all unstable in MP's stored
  values. The hull results come from ``hull_cache`` after the first build.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from evalsuite.benchmarks.crystal import hull_cache
from evalsuite.benchmarks.crystal.data import Material

AGREEMENT_TOLERANCE = 1e-6  # eV/atom


@functools.lru_cache(maxsize=1)
def stored_materials() -> tuple[Material, ...]:
    from pymatgen.core import Composition

    from evalsuite.scorers.materials import chemical_system, shipped_entry_dicts

    rows: list[Material] = []
    with warnings.catch_warnings():
        # pymatgen warns about noble gases lacking electronegativities when naming formulas
        warnings.simplefilter("ignore")
        for item in shipped_entry_dicts():
            composition = Composition(item["composition"])
            if len(composition.elements) < 2:
                continue
            rows.append(Material(
                material_id=str(item["entry_id"]),
                formula=composition.reduced_formula,
                chemsys=chemical_system(composition),
                n_elements=len(composition.elements),
                e_above_hull=float(item["data"]["e_above_hull"]),
                e_form_per_atom=None,
                position=len(rows),
            ))
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def self_consistent_materials() -> tuple[Material, ...]:
    rows = hull_rows()
    kept = [r for r in rows if abs(r["e_above_hull"] - r["stored_e_above_hull"]) <= AGREEMENT_TOLERANCE]
    return tuple(
        Material(material_id=r["material_id"], formula=r["formula"], chemsys=r["chemsys"],
                 n_elements=r["n_elements"], e_above_hull=r["e_above_hull"],
                 e_form_per_atom=r["e_form_per_atom"], position=i, decomposition=r["decomposition"])
        for i, r in enumerate(kept)
    )


def hull_key() -> str:
    from importlib.metadata import version

    from evalsuite.core.datasets import sha256_of
    from evalsuite.scorers.materials import shipped_entries_path

    return hull_cache.key_of(sha256_of(shipped_entries_path()), version("pymatgen"))


def hull_rows() -> list[dict[str, Any]]:
    """Every shipped compound's recomputed hull distance, formation energy and decomposition
    beside the stored hull distance, sorted by id: from the cache, else built and cached."""
    key = hull_key()
    cached = hull_cache.load(key)
    if cached is not None:
        return cached
    rows = build_hull_rows()
    hull_cache.store(key, rows)
    return rows


def build_hull_rows() -> list[dict[str, Any]]:
    from evalsuite.scorers.materials import HullReference, chemical_system, shipped_entries

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = HullReference(shipped_entries(), mp2020=True)
        for entry in sorted(reference.entries, key=lambda e: str(e.entry_id)):
            if len(entry.composition.elements) < 2:
                continue
            point = reference.analyse(entry)
            rows.append({
                "material_id": str(entry.entry_id),
                "formula": entry.composition.reduced_formula,
                "chemsys": chemical_system(entry.composition),
                "n_elements": len(entry.composition.elements),
                "stored_e_above_hull": float(entry.data["e_above_hull"]),
                "e_above_hull": point.e_above_hull,
                "e_form_per_atom": point.e_form_per_atom,
                "decomposition": point.decomposition,
            })
    return rows
