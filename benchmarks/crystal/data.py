"""Crystal-stability data: one ``Material`` per row, read from the files people publish.

Three CSV layouts (plain or gzip-compressed, recognised by the header; column order free):

- ``wbm``: Matbench Discovery's WBM summary (``wbm/2023-12-13-wbm-summary.csv.gz``, 256,963 rows,
  18 columns, ``evalsuite data pull wbm-summary``). Truth is Matbench Discovery's:
  ``e_above_hull_mp2020_corrected_ppd_mp`` (hull distance against all of Materials Project, MP2020
  corrections) and ``e_form_per_atom_mp2020_corrected``; the prototype filter is
  ``unique_prototype`` (True/False). The file also holds WBM's own ``e_above_hull_wbm`` and
  ``e_form_per_atom_wbm``, which are *not* the benchmark's truth and are never read.
- ``mp-energies``: Matbench Discovery's Materials Project energies
  (``mp/2025-02-01-mp-energies.csv.gz``, ``evalsuite data pull mp-energies``): Materials Project's
  own ``energy_above_hull`` and ``formation_energy_per_atom``.
- ``summary``: any other file with ``material_id``, ``formula``, ``e_form_per_atom``,
  ``e_above_hull`` (eV/atom), optionally ``unique_prototype`` and ``cif``.

A row whose hull distance is empty is left out (Matbench Discovery's metrics leave rows without
truth out too: ``classify_stable`` puts a NaN truth in neither class) and counted in ``left_out``
under ``LEFT_OUT_NO_TRUTH``. An empty formation energy reads as unknown; in formation-energy mode
such a row is kept and its prediction counts as missing, as in Matbench Discovery, where
``each_pred = each_true + pred - e_form_dft`` is NaN and ``fillna`` calls it unstable
(``matbench_discovery/metrics/discovery.py``, ``calc_discovery_metrics``). Any other broken row
raises ``DataError`` naming file and line.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from evalsuite.core.errors import DataError

ARITY = {1: "unary", 2: "binary", 3: "ternary", 4: "quaternary", 5: "quinary"}
LAYOUTS: dict[str, dict[str, str]] = {
    "wbm": {"material_id": "material_id", "formula": "formula",
            "e_form_per_atom": "e_form_per_atom_mp2020_corrected",
            "e_above_hull": "e_above_hull_mp2020_corrected_ppd_mp", "unique_prototype": "unique_prototype"},
    "mp-energies": {"material_id": "material_id", "formula": "formula",
                    "e_form_per_atom": "formation_energy_per_atom", "e_above_hull": "energy_above_hull"},
    "summary": {"material_id": "material_id", "formula": "formula",
                "e_form_per_atom": "e_form_per_atom", "e_above_hull": "e_above_hull"},
}
OPTIONAL = ("unique_prototype", "cif")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
LEFT_OUT_NO_TRUTH = "no hull distance (no truth)"
MBD_DECIMALS = 3
"""Matbench Discovery's leaderboard rounds the WBM reference columns and the predictions to 3
decimals before scoring, after the outlier mask (``matbench_discovery/metrics/discovery.py``
``prepare_model_predictions``; ``models/run_discovery.py`` ``_write_yaml_results``: ``.round(3)``)."""


@dataclass(frozen=True, slots=True)
class Material:
    """One benchmark row: identity, ground truth (eV/atom) and optional structure.

    ``e_form_per_atom`` is None where the source does not give it (the embedded set's stored
    Materials Project hull distances); ``unique_prototype`` is None where the source has no
    prototype filter; ``position`` is the row's place in its source (ties in rankings follow it).
    """

    material_id: str
    formula: str
    chemsys: str
    n_elements: int
    e_above_hull: float
    e_form_per_atom: float | None
    position: int = 0
    unique_prototype: bool | None = None
    decomposition: dict[str, float] = field(default_factory=dict)
    cif: str | None = None

    @property
    def stable(self) -> bool:
        from evalsuite.scorers.materials import STABILITY_THRESHOLD

        return self.e_above_hull <= STABILITY_THRESHOLD

    @property
    def arity(self) -> str:
        return ARITY.get(self.n_elements, f"{self.n_elements}-ary")


def open_text(path: Path) -> IO[str]:
    """The file as text; gzip-compressed when it starts with gzip's magic bytes."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, newline="", encoding="utf-8")


def layout_of(header: list[str], path: Path, wanted: str | None = None) -> tuple[str, dict[str, int]]:
    """(layout name, column index of each field) for a header; ``wanted`` insists on one layout."""
    candidates = [wanted] if wanted else list(LAYOUTS)
    for name in candidates:
        columns = LAYOUTS[name]
        if all(column in header for column in columns.values()):
            where = {key: header.index(column) for key, column in columns.items()}
            for key in OPTIONAL:
                if key not in where and key in header:
                    where[key] = header.index(key)
            return name, where
    name = wanted or "summary"
    missing = [c for c in LAYOUTS[name].values() if c not in header]
    hint = "" if wanted else " (or the WBM summary / MP energies layout)"
    raise DataError(path, 1, f"missing column {missing[0]!r}{hint}; header: {', '.join(header)[:300]}")


def read_materials(path: Path, *, layout: str | None = None, require_cif: bool = False,
                   left_out: Counter[str] | None = None) -> Iterator[Material]:
    """Rows of a CSV in one of ``LAYOUTS`` (detected unless ``layout`` is given), in file order.
    ``left_out`` counts the rows left out, by reason."""
    from evalsuite.scorers.materials import chemical_system, parse_composition, parse_structure

    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, None) or []]
        if not header:
            raise DataError(path, 1, "empty file; expected a header with material_id, formula, "
                            "e_form_per_atom, e_above_hull")
        _, where = layout_of(header, path, layout)
        seen: set[str] = set()
        line = reader.line_num + 1
        position = 0
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise DataError(path, start, f"{len(row)} fields, header has {len(header)}")
            material_id = row[where["material_id"]].strip()
            if not material_id:
                raise DataError(path, start, "empty material_id")
            if material_id in seen:
                raise DataError(path, start, f"duplicate material_id {material_id!r}")
            seen.add(material_id)
            e_above_hull = number(row, where["e_above_hull"], header, path, start)
            e_form = number(row, where["e_form_per_atom"], header, path, start)
            if e_above_hull is None:
                if left_out is not None:  # no truth for this row: left out, as Matbench Discovery's metrics do
                    left_out[LEFT_OUT_NO_TRUTH] += 1
                continue
            parsed = parse_composition(row[where["formula"]])
            if not parsed.ok:
                raise DataError(path, start, parsed.reason or "invalid formula")
            cif = (row[where["cif"]].strip() or None) if "cif" in where else None
            if require_cif:
                structure = parse_structure(cif)
                if not structure.ok:
                    raise DataError(path, start, f"cif: {structure.reason}")
            composition = parsed.value
            yield Material(
                material_id=material_id,
                formula=composition.reduced_formula,
                chemsys=chemical_system(composition),
                n_elements=len(composition.elements),
                e_above_hull=e_above_hull,
                e_form_per_atom=e_form,
                position=position,
                unique_prototype=flag(row, where.get("unique_prototype"), header, path, start),
                cif=cif,
            )
            position += 1


def number(row: list[str], index: int, header: list[str], path: Path, line: int) -> float | None:
    """The cell as a finite float; None when empty (or NaN, as pandas writes a missing value)."""
    text = row[index].strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise DataError(path, line, f"{header[index]} is not a number: {text[:40]!r}") from None
    if math.isnan(value):
        return None
    if not math.isfinite(value):
        raise DataError(path, line, f"{header[index]} is not finite: {text!r}")
    return value


def flag(row: list[str], index: int | None, header: list[str], path: Path, line: int) -> bool | None:
    if index is None:
        return None
    text = row[index].strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise DataError(path, line, f"{header[index]} is not True/False: {row[index][:40]!r}")


def mbd_round(value: float) -> float:
    """``value`` rounded as pandas' ``.round(3)`` rounds (numpy ``round``: half to even on the
    binary value), which is what Matbench Discovery's leaderboard applies."""
    import numpy as np

    return float(np.round(value, MBD_DECIMALS))


def true_hull_distance(target: dict[str, Any], rounding: bool = False) -> float:
    value = float(target["e_above_hull"])
    return mbd_round(value) if rounding else value


def predicted_number(value: Any) -> float:
    """The numeric prediction, NaN where there is none (a failed extraction, or anything a
    hand-edited journal may hold)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return math.nan
    return float(value)


def formation_energy_outlier(value: Any, target: dict[str, Any], limit: float) -> bool:
    """Matbench Discovery's mask: ``abs(pred - e_form_dft) > limit`` on the formation energies
    themselves, unrounded, before any hull arithmetic (``matbench_discovery/data.py``
    ``load_df_wbm_with_preds``; ``models/run_discovery.py``). A NaN on either side is no outlier."""
    e_form = target.get("e_form_per_atom")
    predicted = predicted_number(value)
    if e_form is None or math.isnan(predicted):
        return False
    return abs(predicted - float(e_form)) > limit


def predicted_hull_distance(mode: str, value: Any, target: dict[str, Any], rounding: bool = False) -> float:
    """The prediction as a hull distance in eV/atom (NaN when missing). In classify mode a
    stable call maps to -1 and an unstable call to +1: only their side of 0 matters. In
    formation-energy mode a truth without a formation energy gives NaN (a missing prediction).
    ``rounding``: truth and prediction rounded to 3 decimals first (Matbench Discovery's
    leaderboard)."""
    if mode == "classify":
        return {"stable": -1.0, "unstable": 1.0}.get(value, math.nan) if isinstance(value, str) else math.nan
    predicted = predicted_number(value)
    if math.isnan(predicted):
        return math.nan
    if rounding:
        predicted = mbd_round(predicted)
    if mode == "formation-energy":
        e_form = target.get("e_form_per_atom")
        if e_form is None:
            return math.nan
        e_form = mbd_round(float(e_form)) if rounding else float(e_form)
        return true_hull_distance(target, rounding) + predicted - e_form
    return predicted
