"""``crystal-stability``: is a crystal thermodynamically stable? Graded as Matbench Discovery does.

Modes (``--set mode=...``):
- ``classify`` (default): "is {formula} stable (on the convex hull)?"; the answer is parsed as
  stable/unstable (``evalsuite.scorers.materials.parse_stability``).
- ``e-above-hull``: "what is its energy above the hull, in eV/atom?"; the parsed number
  (``parse_energy``: eV/atom, meV/atom, kJ/mol of atoms) is the predicted hull distance.
- ``formation-energy``: "what is its formation energy per atom?"; the prediction is placed
  against the reference hull as Matbench Discovery does: predicted hull distance = true hull
  distance + (predicted - true formation energy).
In every mode the predicted hull distance is classified at 0 eV/atom (stable if <= 0).

Inputs (``--set input=...``): ``formula`` (default) or ``cif`` (formula plus the crystal
structure as CIF; needs user data with a ``cif`` column, since no shipped source has structures).

Data (``--set source=...``, default ``auto``; ``benchmarks/crystal/data.py`` has the layouts):
- ``embedded`` (``auto`` without ``--data``): the Materials Project compounds pymatgen ships
  (``benchmarks/crystal/embedded.py``). Classify and e-above-hull modes: all 334 compounds with
  Materials Project's stored hull distances as truth (61 unstable, prevalence 0.817).
  Formation-energy mode: the 282 compounds whose hull recomputed from the shipped entries agrees
  with the stored one (9 unstable), since its prediction is placed against that hull.
- ``wbm`` / ``mp-energies``: Matbench Discovery's WBM summary or Materials Project energies, from
  the data cache (``evalsuite data pull wbm-summary`` / ``mp-energies``) or from ``--data``.
- ``--data FILE.csv[.gz]``: any of the layouts, recognised by its header (``source=wbm`` or
  ``mp-energies`` insists on that layout).

Matbench Discovery's rules (``--set subset=...``, ``--set outlier_mask=...``):
- ``subset``: ``full`` (default), ``unique-prototypes`` (only rows whose ``unique_prototype`` is
  True are asked) or ``most-stable-10k`` (of those, the aggregate scores the 10,000 with the
  lowest predicted hull distance; needs a numeric mode). DAF of the prototype subsets divides by
  the prevalence among all unique prototypes (``benchmarks/crystal/aggregate.py``).
- ``outlier_mask`` (default true): in formation-energy mode a predicted formation energy more
  than 5 eV/atom off the DFT formation energy counts as missing (Matbench Discovery's
  ``MAX_E_FORM_ERROR_THRESHOLD``, compared on the formation energies themselves, unrounded:
  ``matbench_discovery/data.py``): unstable in the classification metrics, left out of
  MAE/RMSE/R2, scored ``correct`` 0 with the reason.
- ``rounding``: ``none`` (default: the file's values as they are) or ``mbd`` (truth and
  predictions rounded to 3 decimals after the mask, as Matbench Discovery's leaderboard does:
  ``matbench_discovery/metrics/discovery.py`` ``prepare_model_predictions``). The DAF
  denominator of the prototype subsets stays unrounded, as there.
- A row without a hull distance is left out and counted (results.json ``left_out``); in
  formation-energy mode a row with a hull distance but no formation energy is kept and its
  prediction counts as missing (Matbench Discovery's NaN ``each_pred``).
The choices are recorded in results.json beside the metrics (``subset``, ``outlier_mask``,
``rounding`` with its default, ``left_out``).

Per-sample scores: ``correct`` (the stability call matches; a failed extraction scores 0) and, in
the numeric modes, ``abs_error`` (eV/atom). ``aggregate`` adds the Matbench Discovery metrics
(``evalsuite.scorers.stability_metrics``; a missing prediction counts as unstable there) with seeded
bootstrap 95% CIs, baseline rows and the confusion counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from evalsuite.benchmarks.crystal.data import (
    LAYOUTS,
    Material,
    formation_energy_outlier,
    predicted_hull_distance,
    read_materials,
    true_hull_distance,
)
from evalsuite.core.benchmark import BenchmarkBase, take
from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError
from evalsuite.core.extraction import extract_answer
from evalsuite.core.metrics import Metric, aggregate_only, continuous, descriptive, proportion
from evalsuite.core.reads import Reads
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import BenchmarkResult, Prediction, Sample, SampleRecord, Score
from evalsuite.scorers.materials import STABILITY_THRESHOLD

if TYPE_CHECKING:  # numpy loads only when something aggregates
    import numpy as np

    from evalsuite.core.record_table import RecordTable

MODES = ("classify", "e-above-hull", "formation-energy")
INPUTS = ("formula", "cif")
SOURCES = ("auto", "embedded", "wbm", "mp-energies")
SUBSETS = ("full", "unique-prototypes", "most-stable-10k")
ROUNDINGS = ("none", "mbd")
PULLED = {"wbm": "wbm-summary", "mp-energies": "mp-energies"}  # source -> data set name
STAGES = ("answer-tag", "boxed", "final-answer")
REWARD_BAND = 0.05  # eV/atom: a numeric answer this close to the true hull distance earns the reward


CLASSIFICATION_METRICS: tuple[Metric, ...] = (
    aggregate_only("f1", description="F1 of the stable class"),
    aggregate_only("daf", description="discovery acceleration factor: precision / prevalence"),
    aggregate_only("precision"), aggregate_only("recall"), aggregate_only("accuracy"),
    aggregate_only("tpr"), aggregate_only("fpr", higher_is_better=False),
    aggregate_only("tnr"), aggregate_only("fnr", higher_is_better=False),
    # a property of the data, identical for every model on the same data: reported, never ranked
    descriptive("prevalence", description="share of stable compounds (DAF's denominator)"),
)
REGRESSION_METRICS: tuple[Metric, ...] = (
    aggregate_only("mae", higher_is_better=False, description="mean |error| of the hull distance (eV/atom)"),
    aggregate_only("rmse", higher_is_better=False, description="root mean squared error (eV/atom)"),
    aggregate_only("r2", description="R^2 of the hull distance; null when the truth is constant"),
)
CORRECT = proportion("correct", description="stable/unstable call right")
ABS_ERROR = continuous("abs_error", higher_is_better=False, description="|predicted - true| hull distance (eV/atom)")


class CrystalStability(BenchmarkBase):
    name = "crystal-stability"
    description = ("Thermodynamic stability of inorganic crystals (Materials Project, Matbench Discovery's "
                   "WBM), graded with pymatgen hulls and Matbench Discovery metrics")
    version = "2"
    target_type = dict
    headline = "f1"
    group_by = ("arity",)
    stratify_by = ("stable",)  # the target's class: a --limit subset keeps both classes
    group_order: ClassVar[dict[str, tuple[Any, ...]]] = {
        "arity": ("binary", "ternary", "quaternary", "quinary")}
    options = {"mode": "classify", "input": "formula", "source": "auto", "subset": "full",
               "outlier_mask": True, "rounding": "none"}
    reads = Reads(metadata=("arity", "position"), values=("prediction", "target"))

    def declared_metrics(self) -> tuple[Metric, ...]:
        if self.option("mode") == "classify":
            return (CORRECT, *CLASSIFICATION_METRICS)
        return (CORRECT, ABS_ERROR, *CLASSIFICATION_METRICS, *REGRESSION_METRICS)

    def reward_spec(self) -> RewardSpec:
        """The stability call in classify mode; in the numeric modes a tolerance band on the
        predicted hull distance."""
        if self.option("mode") == "classify":
            return RewardSpec("correct")
        return RewardSpec("correct", band=("abs_error", REWARD_BAND))

    def validate(self) -> None:
        for key, allowed in (("mode", MODES), ("input", INPUTS), ("source", SOURCES), ("subset", SUBSETS),
                             ("rounding", ROUNDINGS)):
            if self.option(key) not in allowed:
                raise BenchmarkError(f"{self.name}: {key} must be one of {', '.join(allowed)}")
        if self.option("subset") == "most-stable-10k" and self.option("mode") == "classify":
            raise BenchmarkError(f"{self.name}: subset=most-stable-10k ranks materials by predicted hull "
                                 "distance; use mode=e-above-hull or mode=formation-energy")

    def mask_applies(self) -> bool:
        return bool(self.option("outlier_mask")) and self.option("mode") == "formation-energy"

    def rounds(self) -> bool:
        return self.option("rounding") == "mbd"

    def __init__(self, options: Any = None):
        super().__init__(options)
        self.left_out: Counter[str] | None = None
        """Rows of the data left out, by reason, from the last complete read (None before one)."""
        self.rows_read: int | None = None

    # -- samples -------------------------------------------------------------------------------
    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        materials: Any = self.materials(data)
        if self.option("subset") != "full":
            materials = self.unique_prototypes(materials)
        for material in take(materials, limit):
            yield self.sample_of(material)

    def materials(self, data: Path | None) -> Iterator[Material] | Sequence[Material]:
        source, mode = self.option("source"), self.option("mode")
        needs_e_form = mode == "formation-energy"
        cif = self.option("input") == "cif"
        if data is None and source in ("auto", "embedded"):
            if cif:
                raise BenchmarkError(f"{self.name}: the embedded entries have no structures; "
                                     "input=cif needs --data with a 'cif' column")
            from evalsuite.benchmarks.crystal import embedded

            rows = embedded.self_consistent_materials() if needs_e_form else embedded.stored_materials()
            self.left_out, self.rows_read = Counter(), len(rows)
            return rows
        if data is None:
            from evalsuite.core.datasets import cached_path

            pulled = cached_path(PULLED[source])
            if pulled is None:
                raise BenchmarkError(f"{self.name}: source={source} is not in the data cache; run "
                                     f"`evalsuite data pull {PULLED[source]}` or pass --data PATH")
            data = pulled
        elif source == "embedded":
            raise BenchmarkError(f"{self.name}: source=embedded takes no --data")
        path = Path(data)
        if not path.is_file():
            raise BenchmarkError(f"{self.name}: data file not found: {path}")
        layout = source if source in LAYOUTS else None
        left_out: Counter[str] = Counter()
        return self.counted(read_materials(path, layout=layout, require_cif=cif, left_out=left_out), left_out)

    def data_info(self, data: Path | None) -> DataInfo:
        """``embedded (334 compounds)`` (282 in formation-energy mode), the pulled WBM summary or MP
        energies, or the ``--data`` file."""
        from evalsuite.core import data_info

        source = self.option("source")
        if data is None and source in ("auto", "embedded"):
            from evalsuite.benchmarks.crystal import embedded

            rows = (embedded.self_consistent_materials() if self.option("mode") == "formation-energy"
                    else embedded.stored_materials())
            return data_info.embedded(len(rows), "compounds")
        if data is None:
            from evalsuite.core.datasets import cached_path

            pulled = cached_path(PULLED[source])
            name = {"wbm": "WBM summary (Matbench Discovery)", "mp-energies": "MP energies (Matbench Discovery)"}[source]
            if pulled is None:
                return data_info.DataInfo(name=name, source="pulled", unit="compounds")
            return data_info.of_file(pulled, name=name, source="pulled", unit="compounds")
        return data_info.of_file(Path(data), unit="compounds")

    def counted(self, materials: Iterator[Material], left_out: Counter[str]) -> Iterator[Material]:
        """The rows, recording what was read and left out once the file has been read to its end
        (a read stopped by ``--first`` records nothing it could not count)."""
        rows = 0
        for material in materials:
            rows += 1
            yield material
        self.left_out, self.rows_read = left_out, rows + sum(left_out.values())

    def unique_prototypes(self, materials: Any) -> Iterator[Material]:
        for material in materials:
            if material.unique_prototype is None:
                raise BenchmarkError(f"{self.name}: subset={self.option('subset')} needs data with a "
                                     "'unique_prototype' column (the WBM summary: source=wbm)")
            if material.unique_prototype:
                yield material

    def sample_of(self, material: Material) -> Sample:
        target: dict[str, Any] = {"e_above_hull": material.e_above_hull, "stable": material.stable}
        if material.e_form_per_atom is not None:
            target["e_form_per_atom"] = material.e_form_per_atom
        if material.decomposition:
            target["decomposition"] = material.decomposition
        metadata = {
            "material_id": material.material_id,
            "formula": material.formula,
            "chemsys": material.chemsys,
            "arity": material.arity,
            "position": material.position,
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
        from evalsuite.scorers.materials import parse_energy, parse_stability

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
        mode, rounding = self.option("mode"), self.rounds()
        if mode == "formation-energy" and target.get("e_form_per_atom") is None:
            return Score({"correct": 0.0, "abs_error": None},
                         reason="no DFT formation energy to place the prediction on the hull: counts as "
                                "missing (unstable), as in Matbench Discovery")
        if self.mask_applies():
            from evalsuite.scorers.stability_metrics import MAX_E_FORM_ERROR

            if formation_energy_outlier(prediction.value, target, MAX_E_FORM_ERROR):
                off = abs(float(prediction.value) - float(target["e_form_per_atom"]))
                return Score({"correct": 0.0, "abs_error": None},
                             reason=f"masked: {off:.3f} eV/atom off the DFT formation energy "
                                    f"(> {MAX_E_FORM_ERROR:g}, outlier_mask): counts as missing")
        e_pred = predicted_hull_distance(mode, prediction.value, target, rounding)
        e_true = true_hull_distance(target, rounding)
        truth_stable = e_true <= STABILITY_THRESHOLD
        called_stable = e_pred <= STABILITY_THRESHOLD
        values = {"correct": float(called_stable == truth_stable)}
        reason = f"called {'stable' if called_stable else 'unstable'}, truth " \
                 f"{'stable' if truth_stable else 'unstable'}"
        if numeric:
            values["abs_error"] = abs(e_pred - e_true)
            reason += f"; predicted hull distance {e_pred:.4f} vs {e_true:.4f} eV/atom"
        return Score(values, reason=reason)

    def oracle_response(self, sample: Sample) -> str:
        target = sample.target
        mode = self.option("mode")
        if mode == "classify":
            return f"Final Answer: {'stable' if target['stable'] else 'unstable'}"
        value = target["e_above_hull"] if mode == "e-above-hull" else target.get("e_form_per_atom")
        if value is None:
            return "Final Answer: no DFT formation energy is known for this row"
        return f"Final Answer: {float(value)!r} eV/atom"  # repr round-trips the float exactly

    # -- aggregation -------------------------------------------------------------------------------
    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        """Per-sample means and failure rates, plus the Matbench Discovery metrics with seeded
        bootstrap 95% CIs on the chosen subset, overall and per ``arity``; baseline rows;
        confusion counts; the subset and outlier-mask choices (``benchmarks/crystal/aggregate.py``)."""
        from evalsuite.benchmarks.crystal.aggregate import aggregate

        return aggregate(self, records, seed)

    def point_rows(self, table: RecordTable, seed: int) -> Callable[[np.ndarray], dict[str, float | None]]:
        """The Matbench Discovery metrics of rows of ``table``, for the gate's draws
        (``benchmarks/crystal/aggregate.py``)."""
        from evalsuite.benchmarks.crystal.aggregate import point_rows

        return point_rows(self, table)

    def point_values(self, records: Sequence[SampleRecord], seed: int) -> dict[str, float | None]:
        import numpy as np

        from evalsuite.core.record_table import RecordTable

        table = RecordTable.of(records, self.reads)
        return self.point_rows(table, seed)(np.arange(len(table)))
