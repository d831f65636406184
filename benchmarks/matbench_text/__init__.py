"""matbench-text: four composition tasks of Matbench v0.1 asked as text questions, as OpenCompass
evaluates them for Intern-S1 (opencompass/datasets/matbench/matbench.py, configs
opencompass/configs/datasets/matbench/matbench_llm_judge_gen_0e9276.py). Not Matbench Discovery.

``matbench-text/steels`` (yield strength, MPa) and ``matbench-text/expt-gap`` (band gap, eV):
absolute error; ``matbench-text/expt-is-metal`` and ``matbench-text/glass``: yes / no accuracy.

Data (``--data``): a folder holding ``matbench_base_fold_0_{task}_test.json`` (OpenCompass's
layout), or that file: a JSON list of ``{"problem": str, "answer": float | bool}``; without it,
OpenCompass's archive that ``evalsuite data pull matbench-text`` put in the cache (md5-verified),
read in place. Sample id: the 0-based index, 5 digits. Prompt: the ``problem`` as it is (the judge config's prompt).

Strict scoring: the answer (answer tag, ``\\boxed{}``, ``Final Answer:``, or a reply that is only
the answer) must be one number (``abs_error``, ``squared_error``) or yes / no / true / false
(``accuracy``); anything else is a failed extraction. Intern-S1's config grades with an LLM
judge: for regression the judge only extracts the number (the gold is not shown) and the error
is computed from it, for classification it compares with the gold and answers A or B
(``judge_request`` / ``judge_score``; ``--judge-model``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core.benchmark import BenchmarkBase, Family, take
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.extraction import extract_answer
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.types import GenerationSettings, Message, Prediction, Sample, Score
from evalsuite.scorers import exact
from evalsuite.scorers import opencompass as oc

STAGES = ("answer-tag", "boxed", "final-answer")
PROTOCOLS = ("strict", "opencompass")
MAX_FILE_BYTES = 256 << 20
TRUE_WORDS, FALSE_WORDS = ("yes", "true"), ("no", "false")
WORD = re.compile(r"^\s*([A-Za-z]+)\s*\.?\s*$")
CLASS_SYSTEM = "You are a helpful assistant who evaluates the correctness and quality of models' outputs."
NUMBER_SYSTEM = "You are a helpful assistant who extracts the answer as float of models' outputs."
# OpenCompass's JUDGE_TEMPLATE and REGRESSION_JUDGE_TEMPLATE (matbench_llm_judge_gen_0e9276.py)
# re-stated with the same inputs and output formats.
CLASS_RULES = (
    "The gold target is known to be right; only decide whether the candidate's final answer agrees with it.",
    "Yes / true and no / false are the same answers, however they are phrased.",
    "An answer that hedges between both, or gives none, is incorrect.",
)
NUMBER_TEMPLATE = """Act as a precise data extraction engine: read the answer below and return the one number it gives as its result, as a float.

Rules for your output:
1. Output a single floating-point number.
2. No words, explanations, units or other characters around it.
3. If the answer is incomplete or gives no definite result, output 0.
4. Only the number, without reasoning.

<Original Question Begin>:
{problem}
<Original Question End>

<Predicted Answer Begin>:
{prediction}
<Predicted Answer End>

The final numerical answer as a float:"""


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in (*TRUE_WORDS, *FALSE_WORDS):
        return value.strip().lower() in TRUE_WORDS
    return None


class MatbenchTask(BenchmarkBase):
    version: ClassVar[str] = "1"
    task: ClassVar[str] = ""
    options: ClassVar[dict[str, Any]] = {"protocol": "strict"}
    generation = GenerationSettings(max_tokens=1024)

    def validate(self) -> None:
        if self.option("protocol") not in PROTOCOLS:
            raise BenchmarkError(f"{self.name}: protocol must be one of {', '.join(PROTOCOLS)}")

    def file(self, data: Path | None) -> Path | tuple[Path, str]:
        name = f"matbench_base_fold_0_{self.task}_test.json"
        if data is None:
            from evalsuite.core.datasets import cached_path

            pulled = cached_path("matbench-text")
            if pulled is None:
                raise BenchmarkError(f"{self.name}: no data; run `evalsuite data pull matbench-text` or pass "
                                     f"--data PATH to a folder holding {name}")
            return pulled, name
        path = Path(data)
        path = path / name if path.is_dir() else path
        if not path.is_file():
            raise BenchmarkError(f"{self.name}: data file not found: {path}")
        return path

    def rows(self, where: Path | tuple[Path, str]) -> list[dict[str, Any]]:
        from evalsuite.core.datasets import json_list

        path = where[0] if isinstance(where, tuple) else where
        rows = json_list(where, self.name, MAX_FILE_BYTES, "{problem, answer}")
        for index, row in enumerate(rows):
            if not isinstance(row, dict) or not isinstance(row.get("problem"), str) or "answer" not in row:
                raise DataError(path, index, f"item {index} needs a string 'problem' and an 'answer'")
            self.gold(row["answer"], path, index)
        return rows

    def gold(self, value: Any, path: Path, index: int) -> Any:
        raise NotImplementedError

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        where = self.file(data)
        path = where[0] if isinstance(where, tuple) else where
        for index, row in take(enumerate(self.rows(where)), limit):
            yield Sample(id=f"{index:05d}", messages=[{"role": "user", "content": row["problem"]}],
                         target=self.gold(row["answer"], path, index), metadata={"task": self.task})

    def found(self, reply: str | None) -> tuple[str | None, Prediction | None]:
        got = extract_answer(reply, STAGES, fallback_whole_reply=True)
        if not got.ok or not got.answer:
            return None, Prediction.failed(got.failure or "no answer found", stage=got.stage)
        return got.answer.strip(), None

    def with_content(self, prediction: Prediction, reply: str | None) -> Prediction:
        return Prediction(value=prediction.value, stage=prediction.stage, failure=prediction.failure,
                          answer={"content": reply or ""})


class RegressionTask(MatbenchTask):
    headline: ClassVar[str] = "abs_error"
    unit: ClassVar[str] = ""
    judge_metric: ClassVar[str] = "judge_abs_error"

    def declared_metrics(self) -> tuple[Metric, ...]:
        return (continuous("abs_error", higher_is_better=False, description=f"|answer - gold| in {self.unit} (mean: MAE)"),
                continuous("squared_error", higher_is_better=False, description=f"(answer - gold)^2 in {self.unit}^2"))

    def gold(self, value: Any, path: Path, index: int) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(path, index, f"item {index}: answer must be a number, got {value!r}")
        return float(value)

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        answer, failed = self.found(reply)
        if failed is not None:
            return self.with_content(failed, reply)
        try:
            value = float(exact.parse_decimal(str(answer)))
        except ValueError:
            return self.with_content(Prediction.failed(f"invalid: not one number: {str(answer)[:40]!r}"), reply)
        return self.with_content(Prediction(value=value, stage="answer"), reply)

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"abs_error": None, "squared_error": None}, prediction.failure)
        error = float(prediction.value) - float(sample.target)
        return Score({"abs_error": abs(error), "squared_error": error * error})

    def oracle_response(self, sample: Sample) -> str:
        return f"\\boxed{{{sample.target}}}"

    def judge_request(self, sample: Sample, content: str) -> list[Message]:
        text = NUMBER_TEMPLATE.format(problem=sample.prompt_text, prediction=content)
        return [{"role": "system", "content": NUMBER_SYSTEM}, {"role": "user", "content": text}]

    def judge_score(self, judge_reply: str | None, sample: Sample) -> tuple[str, float]:
        number = oc.judge_number(judge_reply)
        return repr(number), abs(number - float(sample.target))


class ClassificationTask(MatbenchTask):
    headline: ClassVar[str] = "accuracy"
    judge_metric: ClassVar[str] = "judge_accuracy"

    def declared_metrics(self) -> tuple[Metric, ...]:
        return (proportion("accuracy", description="yes / no equals the gold"),)

    def gold(self, value: Any, path: Path, index: int) -> bool:
        found = as_bool(value)
        if found is None:
            raise DataError(path, index, f"item {index}: answer must be true / false, got {value!r}")
        return found

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        answer, failed = self.found(reply)
        if failed is not None:
            return self.with_content(failed, reply)
        word = WORD.match(str(answer))
        value = as_bool(word.group(1)) if word else None
        if value is None:
            return self.with_content(Prediction.failed(f"invalid: not yes or no: {str(answer)[:40]!r}"), reply)
        return self.with_content(Prediction(value=value, stage="answer"), reply)

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        right = prediction.ok and prediction.value == sample.target
        return Score({"accuracy": float(right)}, prediction.failure if not prediction.ok else (None if right else "wrong"))

    def oracle_response(self, sample: Sample) -> str:
        return "Yes" if sample.target else "No"

    def judge_request(self, sample: Sample, content: str) -> list[Message]:
        text = oc.judge_prompt(CLASS_RULES, sample.prompt_text, str(sample.target), content)
        return [{"role": "system", "content": CLASS_SYSTEM}, {"role": "user", "content": text}]

    def judge_score(self, judge_reply: str | None, sample: Sample) -> tuple[str, float]:
        verdict = oc.judge_verdict(judge_reply)
        return verdict, 1.0 if verdict == "A" else 0.0


class Steels(RegressionTask):
    description: ClassVar[str] = "Matbench steels (text): yield strength in MPa from composition (absolute error)"
    task: ClassVar[str] = "matbench_steels"
    unit: ClassVar[str] = "MPa"


class ExptGap(RegressionTask):
    description: ClassVar[str] = "Matbench expt_gap (text): experimental band gap in eV from composition (absolute error)"
    task: ClassVar[str] = "matbench_expt_gap"
    unit: ClassVar[str] = "eV"


class ExptIsMetal(ClassificationTask):
    description: ClassVar[str] = "Matbench expt_is_metal (text): is the composition a metal, yes / no"
    task: ClassVar[str] = "matbench_expt_is_metal"


class Glass(ClassificationTask):
    description: ClassVar[str] = "Matbench glass (text): does the composition form a metallic glass, yes / no"
    task: ClassVar[str] = "matbench_glass"


FAMILY = Family(
    name="matbench-text",
    description="Four Matbench v0.1 composition tasks as text questions (OpenCompass's Matbench; not Matbench Discovery)",
    members={"steels": Steels, "expt-gap": ExptGap, "expt-is-metal": ExptIsMetal, "glass": Glass},
)
