"""chembench4k: ChemBench4K (ChemLLM, AI4Chem/ChemBench4K), four-option chemistry questions in 9
subsets, as OpenCompass evaluates them for Intern-S1 (opencompass/datasets/chembench.py,
opencompass/configs/datasets/ChemBench/ChemBench_llmjudge_gen_c584cf.py).

Data (``--data``): the data set's folder (``test/{Name}_benchmark.json``, ``dev/...`` for shots),
or a folder or file of ``{Name}_benchmark.json``: a JSON list of ``{"question", "A", "B", "C",
"D", "answer"}`` with the answer a letter. Without ``--data``: OpenCompass's archive that
``evalsuite data pull chembench4k`` put in the cache (md5-verified), read in place. Sample id:
the 0-based index in the file, 4 digits.

Prompt (OpenCompass's, the data set has none): ``There is a single choice question about
chemistry. Answer the question by replying A, B, C or D.\\nQuestion: {question}\\nA. {A}\\nB. {B}
\\nC. {C}\\nD. {D}\\nAnswer: ``. ``--set shots=5`` puts the first five ``dev`` questions before it
as user / assistant turns (the rule-based ChemBench_gen_a9f753.py, FixKRetriever ids 0-4).

Scoring: ``accuracy``, the strict letter (``evalsuite.scorers.choice``). ``protocol=opencompass``
adds ``oc_score``: ``first_capital_postprocess`` (the first capital letter anywhere in the reply,
the rule of ChemBench_gen_a9f753.py) x 100. Intern-S1's config grades with an LLM judge instead:
``--judge-model`` (``evalsuite.engine.judge``) with ``judge_request`` / ``judge_score`` below.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core.benchmark import BenchmarkBase, Family, take
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.types import GenerationSettings, Message, Prediction, Sample, Score
from evalsuite.scorers import choice
from evalsuite.scorers import opencompass as oc

SUBSETS = {
    "name-conversion": "Name_Conversion", "property-prediction": "Property_Prediction",
    "mol2caption": "Mol2caption", "caption2mol": "Caption2mol", "product-prediction": "Product_Prediction",
    "retrosynthesis": "Retrosynthesis", "yield-prediction": "Yield_Prediction",
    "temperature-prediction": "Temperature_Prediction", "solvent-prediction": "Solvent_Prediction",
}
HINT = "There is a single choice question about chemistry. Answer the question by replying A, B, C or D."
LETTERS = "ABCD"
PROTOCOLS = ("strict", "opencompass")
MAX_FILE_BYTES = 64 << 20
JUDGE_SYSTEM = "You are a helpful assistant who evaluates the correctness and quality of models' outputs."
# OpenCompass's GRADER_TEMPLATE (ChemBench_llmjudge_gen_c584cf.py) re-stated: the same inputs
# (question with its options, gold letter, the reply after reasoning) and the same verdict
# format (A: correct, B: incorrect, the letter alone).
JUDGE_RULES = (
    "The gold target is known to be right; do not solve the question again, only decide whether the candidate's final answer agrees with it.",
    "The candidate may phrase the answer differently (the option letter, the option text, or both); what counts is the option it finally chooses.",
    "An answer that chooses several options, hedges between options, or chooses none is incorrect.",
    "Ignore the candidate's reasoning and judge only the final answer.",
)


def question_text(row: dict[str, Any]) -> str:
    return f"{row['question']}\nA. {row['A']}\nB. {row['B']}\nC. {row['C']}\nD. {row['D']}"


def load(where: Path | tuple[Path, str], what: str) -> list[dict[str, Any]]:
    """The questions of a file, or of a member (by name suffix) of the pulled zip."""
    from evalsuite.core.datasets import json_list

    path = where[0] if isinstance(where, tuple) else where
    rows = json_list(where, what, MAX_FILE_BYTES, "questions")
    for index, row in enumerate(rows):
        missing = [k for k in ("question", *LETTERS, "answer") if not isinstance(row, dict) or k not in row]
        if missing:
            raise DataError(path, index, f"question {index} lacks {', '.join(missing)}")
        if str(row["answer"]).strip() not in LETTERS:
            raise DataError(path, index, f"question {index}: answer {row['answer']!r} is not one of A-D")
    return rows


class ChemBenchSubset(BenchmarkBase):
    version: ClassVar[str] = "1"
    subset: ClassVar[str] = ""
    headline: ClassVar[str] = "accuracy"
    options: ClassVar[dict[str, Any]] = {"protocol": "strict", "shots": 0}
    generation = GenerationSettings(max_tokens=1024)
    judge_metric: ClassVar[str] = "judge_accuracy"

    def validate(self) -> None:
        if self.option("protocol") not in PROTOCOLS:
            raise BenchmarkError(f"{self.name}: protocol must be one of {', '.join(PROTOCOLS)}")
        if self.option("shots") not in (0, 5):
            raise BenchmarkError(f"{self.name}: shots must be 0 or 5 (OpenCompass's configs)")

    def declared_metrics(self) -> tuple[Metric, ...]:
        strict = proportion("accuracy", description="the strict answer letter equals the gold")
        if self.option("protocol") != "opencompass":
            return (strict,)
        return (strict, continuous("oc_score", worst=0.0, description="OpenCompass first_capital_postprocess x 100"))

    def file(self, data: Path | None, split: str) -> Path | tuple[Path, str]:
        name = f"{self.subset}_benchmark.json"
        if data is None:
            from evalsuite.core.datasets import cached_path

            pulled = cached_path("chembench4k")
            if pulled is None:
                raise BenchmarkError(f"{self.name}: no data; run `evalsuite data pull chembench4k` or pass "
                                     "--data PATH to the ChemBench4K folder (test/{Name}_benchmark.json)")
            return pulled, f"{split}/{name}"
        data = Path(data)
        if data.is_file():
            if split != "test":
                raise BenchmarkError(f"{self.name}: shots need the data set folder with dev/, not one file")
            return data
        for candidate in (data / split / name, data / name):
            if candidate.is_file():
                return candidate
        raise BenchmarkError(f"{self.name}: {split}/{name} not found under {data}")

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        shots: list[Message] = []
        if self.option("shots"):
            for row in load(self.file(data, "dev"), self.name)[: self.option("shots")]:
                shots += [{"role": "user", "content": self.prompt(row)},
                          {"role": "assistant", "content": str(row["answer"]).strip()}]
        for index, row in take(enumerate(load(self.file(data, "test"), self.name)), limit):
            yield Sample(id=f"{index:04d}", messages=[*shots, {"role": "user", "content": self.prompt(row)}],
                         target=str(row["answer"]).strip(),
                         metadata={"subset": self.subset, "question": question_text(row)})

    def prompt(self, row: dict[str, Any]) -> str:
        return f"{HINT}\nQuestion: {question_text(row)}\nAnswer: "

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        found = choice.read_letter(reply, LETTERS)
        return Prediction(value=found.value, stage=found.stage, failure=found.failure,
                          answer={"content": reply or ""})

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        right = prediction.ok and prediction.value == sample.target
        values: dict[str, float | None] = {"accuracy": float(right)}
        if self.option("protocol") == "opencompass":
            content = prediction.answer.get("content", "") if isinstance(prediction.answer, dict) else ""
            values["oc_score"] = 100.0 if oc.first_capital(content) == sample.target else 0.0
        return Score(values, prediction.failure if not prediction.ok else (None if right else "wrong letter"))

    def oracle_response(self, sample: Sample) -> str:
        return str(sample.target)

    # -- the judge (evalsuite.engine.judge) --------------------------------------------------
    def judge_request(self, sample: Sample, content: str) -> list[Message]:
        text = oc.judge_prompt(JUDGE_RULES, str(sample.metadata.get("question", sample.prompt_text)),
                               str(sample.target), content)
        return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": text}]

    def judge_score(self, judge_reply: str | None, sample: Sample) -> tuple[str, float]:
        """(verdict, judged score in the unit of ``accuracy``): OpenCompass's first A or B."""
        verdict = oc.judge_verdict(judge_reply)
        return verdict, 1.0 if verdict == "A" else 0.0


def member(slug: str, subset: str) -> type[ChemBenchSubset]:
    return type(f"ChemBench{subset.replace('_', '')}", (ChemBenchSubset,), {
        "subset": subset, "__module__": __name__,
        "description": f"ChemBench4K {subset.replace('_', ' ')}: four-option chemistry questions",
    })


FAMILY = Family(
    name="chembench4k",
    description="ChemBench4K's 9 multiple-choice chemistry subsets (strict letter; OpenCompass rule or LLM judge)",
    members={slug: member(slug, subset) for slug, subset in SUBSETS.items()},
)
