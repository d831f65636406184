"""reaction-conditions: predict catalyst, solvents and reagents for a reaction (USPTO-Condition style).

Data layout (the USPTO-Condition CSV of Parrot, Wang et al. 2023): one row per reaction with
columns ``canonical_rxn`` (reaction SMILES ``reactants>>product``), ``catalyst1``, ``solvent1``,
``solvent2``, ``reagent1``, ``reagent2`` (SMILES; an empty cell means none). Optional columns:
``id`` (sample id, must be unique), ``source`` (patent), ``dataset`` (``train``/``val``/``test``:
with ``--set split=test``, the default, only that split is used when the column exists; ``all``
keeps every row) and ``why`` (the embedded file's justification of each row). Without ``id`` a
sample is named ``L<line number>``. A slot that does not parse as SMILES raises DataError.

The embedded default, ``uspto_condition_mini.csv``, holds 36 textbook reactions authored for this
suite; the ``why`` column says which chemistry each condition set comes from.

The model answers a JSON list of up to k condition sets (``--set k=5``), most likely first. A set
is an object with the five slot keys; a missing key, null, ``""`` or ``"none"`` means an empty
slot (``"NO"`` is hydroxylamine). Another key in a set (``temperature``) is ignored, and the
score's reason says so. Sets beyond k are ignored. The list may follow ``Final Answer:`` on
several lines or in a fenced block (``evalsuite.core.extraction``: the last marker wins). Grading (scorers/conditions.py): each slot is compared by
canonical SMILES with its gold slot, position by position; names that are not SMILES are wrong.
Metrics ``{slot}_top{k}`` and ``overall_top{k}`` for k in 1, 3, 5 (those not above the option k,
plus k itself); headline ``overall_top1``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from evalsuite.core import data_info
from evalsuite.core.benchmark import BenchmarkBase, take
from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.extraction import extract_answer, last_json
from evalsuite.core.metrics import Metric, proportion
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import BenchmarkResult, Prediction, Sample, SampleRecord, Score
from evalsuite.scorers import conditions as cond

DEFAULT_DATA = Path(__file__).with_name("uspto_condition_mini.csv")
REQUIRED = ("canonical_rxn", *cond.SLOTS)
REPORTED_KS = (1, 3, 5)
MAX_K = 20

PROMPT = """Propose reaction conditions for this reaction (reaction SMILES, reactants>>product):

{rxn}

Give up to {k} condition sets, most likely first. Every set has five slots:
- "catalyst1": the catalyst (e.g. a palladium complex, Pd on carbon)
- "solvent1", "solvent2": the solvent and a co-solvent
- "reagent1", "reagent2": reagents (bases, acids, coupling agents, reductants, ligands, ...)
Write every chemical as a SMILES string (chemical names are not accepted) and "" for an empty slot.
Answer with a JSON list of objects, for example:
{example}"""
EXAMPLES = (
    {"catalyst1": "", "solvent1": "ClCCl", "solvent2": "", "reagent1": "CCN(CC)CC", "reagent2": ""},
    {"catalyst1": "", "solvent1": "C1CCOC1", "solvent2": "O", "reagent1": "[Li+].[OH-]", "reagent2": ""},
)
"""The prompt's format example: the first that is not the item's own gold condition set (the
first one, DCM and triethylamine, is the answer of common reactions)."""


class ReactionConditions(BenchmarkBase):
    name = "reaction-conditions"
    description = "Predict catalyst, solvents and reagents of a reaction (USPTO-Condition layout), top-k slot accuracy"
    version = "1"
    headline = "overall_top1"
    target_type = dict  # slot -> SMILES

    def declared_metrics(self) -> tuple[Metric, ...]:
        return tuple(proportion(name) for name in cond.slot_metric_names(self.ks))
    options = {"k": 5, "split": "test"}
    reward = RewardSpec("overall_top1", credit=tuple(f"{slot}_top1" for slot in cond.SLOTS))  # share of slots right
    grade_cost = "heavy"  # every slot is canonicalised by RDKit

    def validate(self) -> None:
        if not 1 <= self.option("k") <= MAX_K:
            raise BenchmarkError(f"{self.name}: k must be between 1 and {MAX_K}, got {self.option('k')}")

    @property
    def ks(self) -> list[int]:
        k = self.option("k")
        return sorted({x for x in REPORTED_KS if x <= k} | {k})

    # -- data ---------------------------------------------------------------------------------
    def data_info(self, data: Path | None) -> DataInfo:
        if data is None:
            return data_info.embedded(data_info.count_rows(DEFAULT_DATA) or 0, "reactions")
        return data_info.of_file(Path(data), unit="reactions")

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        yield from take(self.read(Path(data) if data else DEFAULT_DATA), limit)

    def read(self, path: Path) -> Iterator[Sample]:
        if not path.is_file():
            raise BenchmarkError(f"{self.name}: data file not found: {path}")
        split = self.option("split")
        seen: set[str] = set()
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError(path, 1, f"missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED)}")
            for row in reader:
                line = reader.line_num
                if split != "all" and "dataset" in row and (row["dataset"] or "").strip() != split:
                    continue
                sample = self.row_sample(path, line, row)
                if sample.id in seen:
                    raise DataError(path, line, f"duplicate id {sample.id!r}")
                seen.add(sample.id)
                yield sample

    def row_sample(self, path: Path, line: int, row: dict[str, Any]) -> Sample:
        rxn = (row.get("canonical_rxn") or "").strip()
        if ">" not in rxn:
            raise DataError(path, line, f"canonical_rxn is not a reaction SMILES: {rxn[:80]!r}")
        gold: dict[str, str] = {}
        for slot in cond.SLOTS:
            value = cond.normalise_slot(row.get(slot))
            if value.key is None:
                raise DataError(path, line, f"{slot}: {value.reason}")
            gold[slot] = value.key
        sample_id = (row.get("id") or "").strip() or f"L{line}"
        metadata = {"reaction": rxn, "empty_slots": sum(1 for v in gold.values() if v == cond.EMPTY)}
        if (row.get("source") or "").strip():
            metadata["source"] = row["source"].strip()
        prompt = PROMPT.format(rxn=rxn, k=self.option("k"), example=json.dumps([example_for(gold)]))
        return Sample(id=sample_id, messages=[{"role": "user", "content": prompt}], target=gold, metadata=metadata)

    # -- reply -> prediction -> score ------------------------------------------------------
    def canonical_answer(self, prediction: Any) -> str:
        """The first-ranked condition set, every slot normalised (canonical SMILES, "" for none)."""
        top = prediction[0] if isinstance(prediction, list) and prediction else prediction
        keys = cond.normalise_set(top)[0] if isinstance(top, dict) else top
        return json.dumps(keys, sort_keys=True)

    def oracle_response(self, sample: Sample) -> str:
        return json.dumps([dict(sample.target)])

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        found = extract_answer(reply, ("answer-tag", "final-answer", "fenced-code", "json"))
        if not found.ok:
            return Prediction.failed(found.failure or "no answer", stage=found.stage)
        parsed = found.parsed_json
        if parsed is None:
            located = last_json(found.answer or "")
            if located is None:
                return Prediction.failed("invalid: no JSON list of condition sets", stage=found.stage)
            parsed = located[1]
        return self.shape(parsed, found.stage)

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        return self.shape(value, "structured")

    def shape(self, parsed: Any, stage: str | None) -> Prediction:
        """A list of condition-set objects (a single object or ``{"conditions": [...]}`` also do)."""
        if isinstance(parsed, dict) and isinstance(parsed.get("conditions"), list):
            parsed = parsed["conditions"]
        if isinstance(parsed, dict):
            parsed = [parsed]
        if not isinstance(parsed, list) or not parsed:
            return Prediction.failed("invalid: expected a non-empty JSON list of condition sets", stage=stage)
        sets = []
        for index, item in enumerate(parsed[: self.option("k")]):
            if not isinstance(item, dict):
                return Prediction.failed(f"invalid: condition set {index + 1} is not an object", stage=stage)
            sets.append(item)  # as written: keys other than the slots are ignored when scored
        return Prediction(value=sets, stage=stage)

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        names = cond.slot_metric_names(self.ks)
        if not prediction.ok or not isinstance(prediction.value, list):
            return Score({name: 0.0 for name in names}, reason=prediction.failure or "no prediction")
        normalised: list[dict[str, str | None]] = []
        reasons: list[str] = []
        for index, conditions in enumerate(prediction.value):
            conditions = conditions if isinstance(conditions, dict) else {}
            keys, problems = cond.normalise_set(conditions)
            normalised.append(keys)
            reasons.extend(f"set {index + 1} {p}" for p in problems)
            ignored = sorted(map(str, set(conditions) - set(cond.SLOTS)))
            if ignored:
                reasons.append(f"set {index + 1}: key(s) {', '.join(ignored)} ignored")
        values = cond.slot_topk(normalised, sample.target, self.ks)
        return Score(values, reason="; ".join(reasons) or None)

    # -- aggregate ------------------------------------------------------------------------
    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        result = super().aggregate(records, seed)
        golds = [r.target for r in records if isinstance(r.target, dict)]
        if golds:
            result.baselines["most-common-conditions (hindsight)"] = most_common_baseline(golds, self.ks)
        return result


def example_for(gold: dict[str, str]) -> dict[str, str]:
    for example in EXAMPLES:
        if cond.normalise_set(example)[0] != gold:
            return example
    raise AssertionError("the format examples differ, so one of them is not the gold")


def most_common_baseline(golds: Sequence[dict[str, str]], ks: Sequence[int]) -> dict[str, float | None]:
    """Always answer the k most frequent gold condition sets of the run (seen in hindsight)."""
    counts = Counter(json.dumps(g, sort_keys=True) for g in golds)
    ranked = [json.loads(text) for text, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    ranked = ranked[: max(ks)]
    rows = [cond.slot_topk(ranked, gold, ks) for gold in golds]
    return {name: sum(row[name] for row in rows) / len(rows) for name in cond.slot_metric_names(ks)}
