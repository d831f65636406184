"""SMolInstruct property prediction: ESOL and Lipophilicity (numbers), BBBP, ClinTox, HIV and
SIDER (yes / no).

Strict scoring:
- numbers: ``abs_error`` = |answer - gold| (headline, lower is better; the mean is an MAE) and
  ``squared_error`` (its mean is the MSE; RMSE = its square root); a reply without a readable
  number has no error value and counts in ``extraction_failure_rate`` instead of being guessed;
- yes / no: ``accuracy``; the answer (tag, box, ``Final Answer:`` or the whole reply) must be
  exactly yes or no (case and a final full stop aside), anything else is a failed extraction.

OpenCompass (``protocol=opencompass``): RMSEEvaluator (the first number in ``<NUMBER>`` or
``\\boxed{}``, **a missing number read as 0**, per item ``|pred - gold|``) and AccEvaluator after
``smolinstruct_acc_0shot_postprocess`` (yes / no patterns, then a reply starting or ending with
yes / no); ``oc_score`` is the error, or 100 / 0.
"""

from __future__ import annotations

import re
from typing import ClassVar

from evalsuite.benchmarks.smolinstruct.answers import tagged
from evalsuite.benchmarks.smolinstruct.base import SmolInstructTask, gold_core, hint
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.types import Prediction, Sample, Score
from evalsuite.scorers import exact
from evalsuite.scorers import opencompass as oc

NUMBER_REPLY = ("The input contains the SMILES representation of the compound. Your reply should contain the {what} "
                "of the compound wrapped in \\boxed{{}}. Your reply must be valid and chemically reasonable.")
BOOLEAN_FIRST = "You are an expert chemist. Given the smiles representation of the compound, your task is to predict whether {what}."
BOOLEAN_REPLY = "The input contains the compound. Your reply should contain only Yes or No. Your reply must be valid and chemically reasonable."
YES_NO = re.compile(r"^\s*(yes|no)\s*\.?\s*$", re.IGNORECASE)


class NumberTask(SmolInstructTask):
    headline: ClassVar[str] = "abs_error"
    oc_metric: ClassVar[Metric] = continuous(
        "oc_score", higher_is_better=False,
        description="OpenCompass RMSEEvaluator per item: |pred - gold|, a missing number read as 0")

    def strict_metrics(self) -> tuple[Metric, ...]:
        return (
            continuous("abs_error", higher_is_better=False, description="|answer - gold| (mean: MAE)"),
            continuous("squared_error", higher_is_better=False, description="(answer - gold)^2 (mean: MSE)"),
        )

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        found = tagged(reply, "NUMBER", single_token=True)
        if not found.ok:
            return found
        try:
            value = float(exact.parse_decimal(str(found.value)))
        except ValueError:
            return Prediction.failed(f"invalid: not a number: {str(found.value)[:40]!r}", stage=found.stage)
        return Prediction(value=value, stage=found.stage)

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"abs_error": None, "squared_error": None}, prediction.failure)
        error = float(prediction.value) - float(gold_core(str(sample.target)))
        return Score({"abs_error": abs(error), "squared_error": error * error})

    def score_opencompass(self, content: str, gold_output: str) -> float:
        return oc.absolute_error(content, gold_output)

    def canonical_answer(self, prediction: object) -> str:
        return repr(float(prediction)) if isinstance(prediction, (int, float)) else str(prediction)

    def oracle_response(self, sample: Sample) -> str:
        return f"\\boxed{{{gold_core(str(sample.target))}}}"


class Esol(NumberTask):
    description: ClassVar[str] = "SMolInstruct PP-ESOL: log solubility from SMILES (absolute error)"
    task: ClassVar[str] = "property_prediction-esol"
    hint: ClassVar[str] = hint(
        "You are an expert chemist. Given the SMILES representation of compounds, your task is to predict the log solubility of the compound.",
        NUMBER_REPLY.format(what="log solubility"))


class Lipophilicity(NumberTask):
    description: ClassVar[str] = "SMolInstruct PP-Lipo: octanol/water partition coefficient from SMILES (absolute error)"
    task: ClassVar[str] = "property_prediction-lipo"
    hint: ClassVar[str] = hint(
        "You are an expert chemist. Given the SMILES representation of compounds, your task is to predict the "
        "octanol/water partition coefficient of the compound.",
        NUMBER_REPLY.format(what="octanol/water partition coefficient"))


class BooleanTask(SmolInstructTask):
    headline: ClassVar[str] = "accuracy"
    oc_metric: ClassVar[Metric] = continuous("oc_score", worst=0.0, description="OpenCompass yes/no accuracy x 100")

    def strict_metrics(self) -> tuple[Metric, ...]:
        return (proportion("accuracy", description="yes / no equals the gold"),)

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        found = tagged(reply, "BOOLEAN", single_token=True)
        if not found.ok:
            return found
        match = YES_NO.match(str(found.value))
        if match is None:
            return Prediction.failed(f"invalid: not yes or no: {str(found.value)[:40]!r}", stage=found.stage)
        return Prediction(value=match.group(1).capitalize(), stage=found.stage)

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"accuracy": 0.0}, prediction.failure)
        right = str(prediction.value).lower() == gold_core(str(sample.target)).lower()
        return Score({"accuracy": float(right)}, None if right else "wrong")

    def score_opencompass(self, content: str, gold_output: str) -> float:
        return oc.yes_no_accuracy(content, gold_output)

    def oracle_response(self, sample: Sample) -> str:
        return gold_core(str(sample.target))


class Bbbp(BooleanTask):
    description: ClassVar[str] = "SMolInstruct PP-BBBP: blood-brain barrier permeability, yes / no"
    task: ClassVar[str] = "property_prediction-bbbp"
    hint: ClassVar[str] = hint(
        BOOLEAN_FIRST.format(what="blood-brain barrier permeability (BBBP) is a property of the compound"),
        "The input contains the compound. Your reply should only contain Yes or No. Your reply must be valid and chemically reasonable.")


class ClinTox(BooleanTask):
    description: ClassVar[str] = "SMolInstruct PP-ClinTox: clinical toxicity, yes / no"
    task: ClassVar[str] = "property_prediction-clintox"
    hint: ClassVar[str] = hint(BOOLEAN_FIRST.format(what="the compound is toxic"), BOOLEAN_REPLY)


class Hiv(BooleanTask):
    description: ClassVar[str] = "SMolInstruct PP-HIV: inhibits HIV replication, yes / no"
    task: ClassVar[str] = "property_prediction-hiv"
    hint: ClassVar[str] = hint(BOOLEAN_FIRST.format(what="the compound serve as an inhibitor of HIV replication"),
                               BOOLEAN_REPLY)


class Sider(BooleanTask):
    description: ClassVar[str] = "SMolInstruct PP-SIDER: has side effects, yes / no"
    task: ClassVar[str] = "property_prediction-sider"
    hint: ClassVar[str] = hint(BOOLEAN_FIRST.format(what="the compound has any side effects"), BOOLEAN_REPLY)
