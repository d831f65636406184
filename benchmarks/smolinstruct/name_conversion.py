"""SMolInstruct name conversion: IUPAC -> formula (I2F), IUPAC -> SMILES (I2S), SMILES -> formula
(S2F), SMILES -> IUPAC (S2I).

Strict scoring:
- formulas (``accuracy``): equal element counts by ``evalsuite.scorers.formula`` (order of atoms
  free, real elements only); ``invalid`` when the answer is no formula;
- SMILES (``accuracy``): the same molecule by canonical SMILES (``evalsuite.scorers.chemistry``,
  exact mode: a SMILES written differently for the same molecule matches); ``invalid`` when RDKit
  cannot read it;
- IUPAC names (``accuracy``): the same string up to case and whitespace (no name-to-structure
  parser is available offline, so a different valid name of the same molecule is wrong).

OpenCompass (``protocol=opencompass``): NCElementMatchEvaluator for formulas, NCExactMatchEvaluator
(plain string equality, SMILES not canonicalised) for SMILES and names; ``oc_score`` 100 or 0.
"""

from __future__ import annotations

from typing import ClassVar

from evalsuite.benchmarks.smolinstruct.answers import tagged
from evalsuite.benchmarks.smolinstruct.base import SmolInstructTask, gold_core, hint
from evalsuite.core.metrics import Metric, proportion
from evalsuite.core.types import Prediction, Sample, Score
from evalsuite.scorers import chemistry, formula
from evalsuite.scorers import opencompass as oc

ACCURACY = proportion("accuracy", description="the answer names the gold compound (strict)")
INVALID = proportion("invalid", higher_is_better=False, description="the answer does not parse")
EXPERT = "You are an expert chemist. Given the {given} representation of compounds, your task is to predict the {wanted} of the compound."
REPLY = ("The input contains the {given} representation of the compound. Your reply should contain only the {wanted} "
         "of the compound wrapped in <{tag}> and </{tag}> tags and no other text. Your reply must be valid and chemically reasonable.")


def nc_hint(given: str, wanted_task: str, wanted_reply: str, tag: str) -> str:
    return hint(EXPERT.format(given=given, wanted=wanted_task), REPLY.format(given=given, wanted=wanted_reply, tag=tag))


class FormulaTask(SmolInstructTask):
    headline: ClassVar[str] = "accuracy"

    def strict_metrics(self) -> tuple[Metric, ...]:
        return (ACCURACY, INVALID)

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        return tagged(reply, "MOLFORMULA", single_token=False)

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"accuracy": 0.0, "invalid": None}, prediction.failure)
        mine, gold = formula.parse_formula(str(prediction.value)), formula.parse_formula(gold_core(str(sample.target)))
        if not mine.ok:
            return Score({"accuracy": 0.0, "invalid": 1.0}, mine.reason)
        right = mine.counts == gold.counts
        return Score({"accuracy": float(right), "invalid": 0.0}, None if right else "different element counts")

    def score_opencompass(self, content: str, gold_output: str) -> float:
        return oc.element_match(content, gold_output)

    def oracle_response(self, sample: Sample) -> str:
        return f"<MOLFORMULA> {gold_core(str(sample.target))} </MOLFORMULA>"


class IupacToFormula(FormulaTask):
    description: ClassVar[str] = "SMolInstruct NC-I2F: molecular formula from an IUPAC name (element counts)"
    task: ClassVar[str] = "name_conversion-i2f"
    hint: ClassVar[str] = nc_hint("IUPAC", "molecular formula", "molecular formula", "MOLFORMULA")


class SmilesToFormula(FormulaTask):
    description: ClassVar[str] = "SMolInstruct NC-S2F: molecular formula from SMILES (element counts)"
    task: ClassVar[str] = "name_conversion-s2f"
    hint: ClassVar[str] = nc_hint("SMILES", "molecular formula", "molecular formula", "MOLFORMULA")


class IupacToSmiles(SmolInstructTask):
    description: ClassVar[str] = "SMolInstruct NC-I2S: SMILES from an IUPAC name (canonical-SMILES match)"
    task: ClassVar[str] = "name_conversion-i2s"
    hint: ClassVar[str] = nc_hint("IUPAC", "SMILES representation", "SMILES representation", "SMILES")
    headline: ClassVar[str] = "accuracy"
    grade_cost: ClassVar[str] = "heavy"

    def strict_metrics(self) -> tuple[Metric, ...]:
        return (ACCURACY, INVALID)

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        return tagged(reply, "SMILES", single_token=True)

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"accuracy": 0.0, "invalid": None}, prediction.failure)
        parsed = chemistry.parse(str(prediction.value))
        if not parsed.ok:
            return Score({"accuracy": 0.0, "invalid": 1.0}, parsed.reason)
        gold = chemistry.gold_key(gold_core(str(sample.target)), "exact")
        reason = chemistry.compare(chemistry.match_key(parsed, "exact"), gold)
        return Score({"accuracy": float(reason is None), "invalid": 0.0}, reason)

    def canonical_answer(self, prediction: object) -> str:
        found = chemistry.canonical_smiles(prediction) if isinstance(prediction, str) else None
        return found.smiles if found is not None and found.smiles else str(prediction)

    def score_opencompass(self, content: str, gold_output: str) -> float:
        return oc.exact_name(content, gold_output)

    def oracle_response(self, sample: Sample) -> str:
        return f"<SMILES> {gold_core(str(sample.target))} </SMILES>"


class SmilesToIupac(SmolInstructTask):
    description: ClassVar[str] = "SMolInstruct NC-S2I: IUPAC name from SMILES (name string match)"
    task: ClassVar[str] = "name_conversion-s2i"
    hint: ClassVar[str] = nc_hint("SMILES", "IUPAC representation", "IUPAC representation", "IUPAC")
    headline: ClassVar[str] = "accuracy"

    def strict_metrics(self) -> tuple[Metric, ...]:
        return (ACCURACY,)

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        return tagged(reply, "IUPAC", single_token=False)

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"accuracy": 0.0}, prediction.failure)
        right = normal_name(str(prediction.value)) == normal_name(gold_core(str(sample.target)))
        return Score({"accuracy": float(right)}, None if right else "a different name")

    def score_opencompass(self, content: str, gold_output: str) -> float:
        return oc.exact_name(content, gold_output)

    def oracle_response(self, sample: Sample) -> str:
        return f"<IUPAC> {gold_core(str(sample.target))} </IUPAC>"


def normal_name(name: str) -> str:
    return " ".join(name.split()).lower()
