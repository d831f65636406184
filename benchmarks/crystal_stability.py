"""``crystal-stability``: is a crystal thermodynamically stable? Graded as Matbench Discovery does.

Modes (``--set mode=...``):
- ``classify`` (default): "is {formula} stable (on the convex hull)?"; the answer is parsed as
  stable/unstable (``scorers.materials.parse_stability``).
- ``e-above-hull``: "what is its energy above the hull, in eV/atom?"; the parsed number
  (``parse_energy``: eV/atom, meV/atom, kJ/mol of atoms) is the predicted hull distance.
- ``formation-energy``: "what is its formation energy per atom?"; the prediction is placed
  against the reference hull as Matbench Discovery does: predicted hull distance = true hull
  distance + (predicted - true formation energy).
In every mode the predicted hull distance is classified at 0 eV/atom (stable if <= 0).

Inputs (``--set input=...``): ``formula`` (default) or ``cif`` (formula plus the crystal
structure as CIF; needs user data with a ``cif`` column, since the embedded entries carry no
structures).

Data:
- Embedded (no ``--data``): built at run time from the Materials Project entries pymatgen ships
  (``calc_compounds.json.gz``, 423 entries). Raw energies get MP2020 corrections; hull distances
  and formation energies are computed with pymatgen, one phase diagram per chemical system, from
  those entries alone. The default set is the 282 compounds (two or more elements) whose
  recomputed hull distance equals the one Materials Project stored for them (within 1e-6
  eV/atom), so the target is both reproducible here and the database value. Left out: the 89
  elements (stable by construction) and the 52 compounds whose shipped-set hull misses competing
  phases (see ``scorers/materials.py``). 273 of the 282 are stable: prevalence 0.968, which is
  why the result carries the dummy and always-stable baseline rows.
- User data (``--data FILE.csv``): the Matbench Discovery summary layout, columns
  ``material_id``, ``formula``, ``e_form_per_atom``, ``e_above_hull`` (eV/atom; the
  ``_mp2020_corrected`` / ``_mp2020_corrected_ppd_mp`` / ``_wbm`` column names are accepted too)
  and optionally ``cif``. A broken row raises ``DataError`` naming file and line.

Per-sample scores: ``correct`` (the stability call matches; a failed extraction scores 0) and, in
the numeric modes, ``abs_error`` (eV/atom). ``aggregate`` adds the Matbench Discovery metrics
(``scorers.materials.stability_metrics``; a missing prediction counts as unstable there) with
seeded bootstrap 95% CIs, baseline rows and the confusion counts.
"""

from __future__ import annotations

import csv
import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.benchmark import BenchmarkBase, metric_means, take, to_dicts
from evalsuite.errors import BenchmarkError, DataError
from evalsuite.extraction import extract_answer
from evalsuite.metrics import Metric, aggregate_only, continuous, descriptive, proportion
from evalsuite.reward_spec import RewardSpec
from evalsuite.types import BenchmarkResult, MetricValue, Prediction, Sample, SampleRecord, Score

MODES = ("classify", "e-above-hull", "formation-energy")
INPUTS = ("formula", "cif")
STAGES = ("answer-tag", "boxed", "final-answer")
AGREEMENT_TOLERANCE = 1e-6  # eV/atom
REWARD_BAND = 0.05  # eV/atom: a numeric answer this close to the true hull distance earns the reward
ARITY = {1: "unary", 2: "binary", 3: "ternary", 4: "quaternary"}
COLUMNS = {
    "material_id": ("material_id",),
    "formula": ("formula",),
    "e_form_per_atom": ("e_form_per_atom", "e_form_per_atom_mp2020_corrected", "e_form_per_atom_wbm"),
    "e_above_hull": ("e_above_hull", "e_above_hull_mp2020_corrected_ppd_mp", "e_above_hull_wbm"),
    "cif": ("cif",),
}


@dataclass(frozen=True, slots=True)
class Material:
    """One benchmark row: identity, ground truth (eV/atom) and optional structure."""

    material_id: str
    formula: str
    chemsys: str
    n_elements: int
    e_above_hull: float
    e_form_per_atom: float
    decomposition: dict[str, float] = field(default_factory=dict)
    cif: str | None = None

    @property
    def stable(self) -> bool:
        from scorers.materials import STABILITY_THRESHOLD

        return self.e_above_hull <= STABILITY_THRESHOLD


@functools.lru_cache(maxsize=1)
def embedded_materials() -> tuple[Material, ...]:
    """The default set (see module docstring), sorted by Materials Project id."""
    import warnings

    from scorers.materials import HullReference, chemical_system, shipped_entries

    with warnings.catch_warnings():
        # pymatgen warns about noble gases lacking electronegativities when naming formulas
        warnings.simplefilter("ignore")
        return _build_embedded(HullReference(shipped_entries(), mp2020=True), chemical_system)


def _build_embedded(reference: Any, chemical_system: Any) -> tuple[Material, ...]:
    rows = []
    for entry in reference.entries:
        if len(entry.composition.elements) < 2:
            continue
        point = reference.analyse(entry)
        if abs(point.e_above_hull - float(entry.data["e_above_hull"])) > AGREEMENT_TOLERANCE:
            continue
        rows.append(Material(
            material_id=str(entry.entry_id),
            formula=entry.composition.reduced_formula,
            chemsys=chemical_system(entry.composition),
            n_elements=len(entry.composition.elements),
            e_above_hull=point.e_above_hull,
            e_form_per_atom=point.e_form_per_atom,
            decomposition=point.decomposition,
        ))
    return tuple(sorted(rows, key=lambda m: m.material_id))


def read_materials(path: Path, *, require_cif: bool = False) -> Iterator[Material]:
    """Rows of a Matbench-Discovery-style summary CSV; DataError on the first broken row.
    With ``require_cif`` every row needs a CIF that pymatgen can parse."""
    from scorers.materials import chemical_system, parse_composition, parse_structure

    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise DataError(path, 1, "empty file; expected a header with material_id, formula, "
                            "e_form_per_atom, e_above_hull")
        header = [h.strip() for h in header]
        where = {}
        for key, names in COLUMNS.items():
            found = next((header.index(n) for n in names if n in header), None)
            if found is None and key != "cif":
                raise DataError(path, 1, f"missing column {names[0]!r} (header: {', '.join(header)})")
            where[key] = found
        seen: set[str] = set()
        line = reader.line_num + 1
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
            parsed = parse_composition(row[where["formula"]])
            if not parsed.ok:
                raise DataError(path, start, parsed.reason or "invalid formula")
            energies = {}
            for key in ("e_form_per_atom", "e_above_hull"):
                text = row[where[key]].strip()
                try:
                    energies[key] = float(text)
                except ValueError:
                    raise DataError(path, start, f"{header[where[key]]} is not a number: {text!r}") from None
                if not math.isfinite(energies[key]):
                    raise DataError(path, start, f"{header[where[key]]} is not finite: {text!r}")
            cif = row[where["cif"]].strip() if where["cif"] is not None else None
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
                e_above_hull=energies["e_above_hull"],
                e_form_per_atom=energies["e_form_per_atom"],
                cif=cif or None,
            )


def predicted_hull_distance(mode: str, value: Any, target: dict[str, Any]) -> float:
    """The prediction as a hull distance in eV/atom (NaN when missing). In classify mode a
    stable call maps to -1 and an unstable call to +1: only their side of 0 matters."""
    if mode == "classify":
        return {"stable": -1.0, "unstable": 1.0}.get(value, math.nan) if isinstance(value, str) else math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return math.nan  # None (failed extraction) or anything a hand-edited journal may hold
    if mode == "formation-energy":
        return float(target["e_above_hull"]) + float(value) - float(target["e_form_per_atom"])
    return float(value)


STABILITY_METRICS: tuple[Metric, ...] = (
    aggregate_only("f1", description="F1 of the stable class"),
    aggregate_only("daf", description="discovery acceleration factor: precision / prevalence"),
    aggregate_only("precision"), aggregate_only("recall"), aggregate_only("accuracy"),
    aggregate_only("tpr"), aggregate_only("fpr", higher_is_better=False),
    aggregate_only("tnr"), aggregate_only("fnr", higher_is_better=False),
    # a property of the data, identical for every model on the same data: reported, never ranked
    descriptive("prevalence", description="share of stable compounds in the data"),
    aggregate_only("mae", higher_is_better=False), aggregate_only("rmse", higher_is_better=False),
    aggregate_only("r2"),
)


class CrystalStability(BenchmarkBase):
    name = "crystal-stability"
    description = ("Thermodynamic stability of inorganic crystals (Materials Project entries), "
                   "graded with pymatgen hulls and Matbench Discovery metrics")
    version = "1"
    headline = "f1"

    def declared_metrics(self) -> tuple[Metric, ...]:
        return (proportion("correct", description="stable/unstable call right"),
                continuous("abs_error", higher_is_better=False, description="|predicted - true| (eV/atom)"),
                *STABILITY_METRICS)
    group_by = ("arity",)
    options = {"mode": "classify", "input": "formula"}

    def reward_spec(self) -> RewardSpec:
        """The stability call in classify mode; in the numeric modes a tolerance band on the
        predicted hull distance."""
        if self.option("mode") == "classify":
            return RewardSpec("correct")
        return RewardSpec("correct", band=("abs_error", REWARD_BAND))

    def validate(self) -> None:
        if self.option("mode") not in MODES:
            raise BenchmarkError(f"{self.name}: mode must be one of {', '.join(MODES)}")
        if self.option("input") not in INPUTS:
            raise BenchmarkError(f"{self.name}: input must be one of {', '.join(INPUTS)}")

    # -- samples -------------------------------------------------------------------------------
    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        if data is None:
            if self.option("input") == "cif":
                raise BenchmarkError(f"{self.name}: the embedded entries have no structures; "
                                     "input=cif needs --data with a 'cif' column")
            materials: Any = embedded_materials()
        else:
            materials = read_materials(Path(data), require_cif=self.option("input") == "cif")
        for material in take(materials, limit):
            yield self.sample_of(material)

    def sample_of(self, material: Material) -> Sample:
        target: dict[str, Any] = {
            "e_above_hull": material.e_above_hull,
            "e_form_per_atom": material.e_form_per_atom,
            "stable": material.stable,
        }
        if material.decomposition:
            target["decomposition"] = material.decomposition
        metadata = {
            "material_id": material.material_id,
            "formula": material.formula,
            "chemsys": material.chemsys,
            "arity": ARITY.get(material.n_elements, f"{material.n_elements}-ary"),
        }
        return Sample(
            id=material.material_id,
            messages=[{"role": "user", "content": self.prompt(material)}],
            target=target,
            metadata=metadata,
        )

    def prompt(self, material: Material) -> str:
        mode = self.option("mode")
        subject = f"the crystalline inorganic compound {material.formula}"
        if self.option("input") == "cif":
            subject += f" with this crystal structure (CIF):\n```\n{material.cif}\n```\n"
        reference = (f"relative to the competing phases of the {material.chemsys} chemical system, "
                     "as computed with DFT (GGA/GGA+U, Materials Project 2020 corrections)")
        if mode == "classify":
            return (f"Is {subject} thermodynamically stable, i.e. on the convex hull of formation "
                    f"energies {reference}? A material is stable when its energy above the hull "
                    "is 0 eV/atom.\nEnd your reply with the line `Final Answer: stable` or "
                    "`Final Answer: unstable`.")
        if mode == "e-above-hull":
            return (f"What is the energy above the convex hull of {subject}, {reference}? It is "
                    "0 for a material on the hull.\nEnd your reply with the line "
                    "`Final Answer: <value> eV/atom`.")
        return (f"What is the formation energy per atom of {subject} from its elements in their "
                f"reference states, {reference}?\nEnd your reply with the line "
                "`Final Answer: <value> eV/atom`.")

    # -- grading -------------------------------------------------------------------------------
    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        found = extract_answer(reply, STAGES, fallback_whole_reply=True)
        if not found.ok:
            return Prediction.failed(found.failure or "no answer", stage=found.stage)
        return self.parse(found.answer, found.stage)

    def parse(self, answer: Any, stage: str | None) -> Prediction:
        from scorers.materials import parse_energy, parse_stability

        if self.option("mode") == "classify":
            parsed = parse_stability(answer)
            if not parsed.ok:
                return Prediction.failed(f"invalid: {parsed.reason}", stage=stage)
            return Prediction("stable" if parsed.value else "unstable", stage=stage)
        parsed = parse_energy(answer)
        if not parsed.ok:
            return Prediction.failed(f"invalid: {parsed.reason}", stage=stage)
        return Prediction(parsed.value, stage=stage)

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        if self.option("mode") == "classify" and isinstance(value, bool):
            return Prediction("stable" if value else "unstable", stage="structured")
        if self.option("mode") != "classify" and isinstance(value, (int, float)) and not isinstance(value, bool):
            if math.isfinite(value):
                return Prediction(float(value), stage="structured")
            return Prediction.failed("invalid: non-finite number", stage="structured")
        if isinstance(value, str):
            return self.parse(value, "structured")
        return Prediction.failed(f"invalid: unexpected {type(value).__name__}", stage="structured")

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        numeric = self.option("mode") != "classify"
        if not prediction.ok:
            values: dict[str, float | None] = {"correct": 0.0}
            if numeric:
                values["abs_error"] = None
            return Score(values, reason=prediction.failure)
        target = sample.target
        e_pred = predicted_hull_distance(self.option("mode"), prediction.value, target)
        called_stable = e_pred <= 0.0
        values = {"correct": float(called_stable == bool(target["stable"]))}
        reason = f"called {'stable' if called_stable else 'unstable'}, truth " \
                 f"{'stable' if target['stable'] else 'unstable'}"
        if numeric:
            values["abs_error"] = abs(e_pred - float(target["e_above_hull"]))
            reason += f"; predicted hull distance {e_pred:.4f} vs {target['e_above_hull']:.4f} eV/atom"
        return Score(values, reason=reason)

    def oracle_response(self, sample: Sample) -> str:
        target = sample.target
        mode = self.option("mode")
        if mode == "classify":
            return f"Final Answer: {'stable' if target['stable'] else 'unstable'}"
        value = target["e_above_hull"] if mode == "e-above-hull" else target["e_form_per_atom"]
        return f"Final Answer: {float(value)!r} eV/atom"  # repr round-trips the float exactly

    # -- aggregation -------------------------------------------------------------------------------
    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        """Per-sample means and failure rates, plus the Matbench Discovery metrics with seeded
        bootstrap 95% CIs, overall and per ``arity``; baseline rows; confusion counts."""
        from scorers.materials import confusion, dummy_baseline, stability_metrics

        records = sorted(records, key=lambda r: r.id)
        regression = self.option("mode") != "classify"
        e_true, e_pred = self.hull_distances(records)
        result = BenchmarkResult(
            n=len(records),
            metrics=self.all_metrics(records, seed),
            headline=self.headline,
        )
        for value, members in _groups(records, "arity").items():
            result.groups.setdefault("arity", {})[value] = {
                "n": len(members), "metrics": to_dicts(self.all_metrics(members, seed))
            }
        if records:
            result.baselines = {
                "dummy": _clean(dummy_baseline(e_true, seed=seed, regression=regression)),
                # "on the hull" for every material: hull distance 0, called stable
                "always-stable": _clean(stability_metrics(e_true, [0.0] * len(e_true),
                                                          regression=regression)),
            }
        counts = confusion(e_true, e_pred)
        result.extra = {
            "confusion": {k: int(counts[k]) for k in ("tp", "fp", "tn", "fn")},
            "stability_threshold": 0.0,
            "mode": self.option("mode"),
            "missing_predictions": sum(1 for p in e_pred if math.isnan(p)),
            "baseline_seed": seed,
        }
        return result

    def hull_distances(self, records: Sequence[SampleRecord]) -> tuple[list[float], list[float]]:
        mode = self.option("mode")
        e_true = [float(r.target["e_above_hull"]) for r in records]
        e_pred = [predicted_hull_distance(mode, r.prediction, r.target) for r in records]
        return e_true, e_pred

    def all_metrics(self, records: Sequence[SampleRecord], seed: int) -> dict[str, MetricValue]:
        from scorers.materials import bootstrap_stability_metrics, stability_metrics

        metrics = metric_means(records, seed, self.metric_set())
        if not records:
            return metrics
        regression = self.option("mode") != "classify"
        e_true, e_pred = self.hull_distances(records)
        values = stability_metrics(e_true, e_pred, regression=regression)
        intervals = bootstrap_stability_metrics(e_true, e_pred, seed=seed, regression=regression)
        n_both = sum(1 for p in e_pred if not math.isnan(p))
        for name, value in values.items():
            metrics[name] = MetricValue(
                value=None if math.isnan(value) else value,
                ci95=intervals.get(name),
                n=n_both if name in ("mae", "rmse", "r2") else len(records),
            )
        return metrics


def _groups(records: Sequence[SampleRecord], key: str) -> dict[str, list[SampleRecord]]:
    groups: dict[str, list[SampleRecord]] = {}
    for record in records:
        if key in record.metadata:
            groups.setdefault(str(record.metadata[key]), []).append(record)
    return dict(sorted(groups.items()))


def _clean(row: dict[str, float]) -> dict[str, float | None]:
    return {k: None if math.isnan(v) else v for k, v in row.items()}
