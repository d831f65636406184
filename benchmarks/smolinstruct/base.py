"""What the 14 SMolInstruct tasks share: the data rows, the two prompts, the two scorings.

Data (``--data``): rows of SMolInstruct (osunlp/SMolInstruct on Hugging Face) as JSON Lines or a
JSON list, each with ``input`` (the templated query the data set gives the model), ``output``
(the templated gold answer, its core inside tags: ``<SMILES> ... </SMILES>``, ``<MOLFORMULA>``,
``<IUPAC>``, ``<NUMBER>``, ``<BOOLEAN>``; none for captions) and ``task`` (``forward_synthesis``,
``name_conversion-i2s``, ...). A file may hold every task: each benchmark keeps its own rows, as
OpenCompass's ``SmolInstructDataset.load`` filters the test split by ``task``
(opencompass/datasets/smolinstruct.py). ``--data`` may also name a folder: every ``*.jsonl`` and
``*.json`` in it is read. Sample id: ``sample_id`` or ``idx`` when the row has one, else the
0-based row number among the task's rows. ``--data`` naming a ``.zip``, or no ``--data`` after
``evalsuite data pull smolinstruct --sha256 HEX``: the data set's own archive, rows built as its
loader script builds them (``release``).

Prompt (option ``prompt``): ``data`` sends the row's ``input`` as it is; ``opencompass`` sends the
0-shot instruction of OpenCompass's configs (opencompass/configs/datasets/SmolInstruct/
smolinstruct_*_0shot_instruct.py): ``{hint}\\nQuestion: {input}\\nAnswer: ``; ``auto`` (default)
is ``opencompass`` under ``protocol=opencompass`` and ``data`` otherwise.

Scoring: the strict metrics of each task group are the headline (their modules say how); under
``protocol=opencompass`` each reply is also scored by OpenCompass's evaluator for the task
(``evalsuite.scorers.opencompass``) into ``oc_score``, in OpenCompass's unit, so its mean is the
number OpenCompass reports for the task.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core.benchmark import BenchmarkBase, take
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.metrics import Metric, continuous
from evalsuite.core.types import GenerationSettings, Prediction, Sample, Score

PROTOCOLS = ("strict", "opencompass")
PROMPTS = ("auto", "data", "opencompass")
CORE_TAG = re.compile(r"<(SMILES|MOLFORMULA|IUPAC|NUMBER|BOOLEAN)>(.*?)</\1>", re.DOTALL)
MAX_DATA_BYTES = 512 << 20


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    input: str
    output: str


def gold_core(output: str) -> str:
    """The gold answer inside its tags (the last tag pair), else the whole output stripped."""
    found = CORE_TAG.findall(output)
    return found[-1][1].strip() if found else output.strip()


def read_rows(path: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """(file, line or index, row) of a JSON Lines file, a JSON list, or every such file in a folder."""
    files = sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".json")) if path.is_dir() else [path]
    if not files:
        raise BenchmarkError(f"no .jsonl or .json file in {path}")
    for file in files:
        try:
            if file.stat().st_size > MAX_DATA_BYTES:
                raise DataError(file, 0, f"larger than {MAX_DATA_BYTES} bytes")
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise BenchmarkError(f"cannot read {file}: {exc}") from None
        if text.lstrip().startswith("["):
            try:
                rows = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(file, exc.lineno, f"invalid JSON: {exc.msg}") from None
            for index, row in enumerate(rows):
                yield file, index, row
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield file, number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(file, number, f"invalid JSON: {exc.msg}") from None


class SmolInstructTask(BenchmarkBase):
    """One SMolInstruct task. Members set ``task``, ``hint`` and the scoring hooks."""

    version: ClassVar[str] = "1"
    task: ClassVar[str] = ""
    hint: ClassVar[str] = ""
    oc_metric: ClassVar[Metric] = continuous("oc_score", worst=0.0)
    options: ClassVar[dict[str, Any]] = {"protocol": "strict", "prompt": "auto"}
    generation = GenerationSettings(max_tokens=1024)

    def validate(self) -> None:
        if self.option("protocol") not in PROTOCOLS:
            raise BenchmarkError(f"{self.name}: protocol must be one of {', '.join(PROTOCOLS)}")
        if self.option("prompt") not in PROMPTS:
            raise BenchmarkError(f"{self.name}: prompt must be one of {', '.join(PROMPTS)}")

    @property
    def opencompass(self) -> bool:
        return self.option("protocol") == "opencompass"

    def strict_metrics(self) -> tuple[Metric, ...]:
        raise NotImplementedError

    def declared_metrics(self) -> tuple[Metric, ...]:
        return (*self.strict_metrics(), self.oc_metric) if self.opencompass else self.strict_metrics()

    # -- data ------------------------------------------------------------------------------
    def rows(self, data: Path | None) -> Iterator[Row]:
        path = self.resolve(data)
        if path.suffix == ".zip":
            from evalsuite.benchmarks.smolinstruct.release import release_rows

            for key, text, output in release_rows(path, self.task):
                yield Row(key, text, output)
            return
        index = 0
        for file, where, row in read_rows(path):
            if not isinstance(row, dict):
                raise DataError(file, where, "a row must be a JSON object")
            if row.get("task") != self.task:
                continue
            for key in ("input", "output"):
                if not isinstance(row.get(key), str):
                    raise DataError(file, where, f"row has no string {key!r}")
            ident = row.get("sample_id", row.get("idx", index))
            yield Row(str(ident), row["input"], row["output"])
            index += 1

    def resolve(self, data: Path | None) -> Path:
        if data is not None:
            if not Path(data).exists():
                raise BenchmarkError(f"{self.name}: data not found: {data}")
            return Path(data)
        from evalsuite.core.datasets import cached_path

        cached = cached_path("smolinstruct")
        if cached is None:
            raise BenchmarkError(f"{self.name}: no data; run `evalsuite data pull smolinstruct --sha256 HEX` "
                                 "or pass --data PATH to SMolInstruct rows (JSON Lines with input, output, task)")
        return cached

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        for row in take(self.rows(data), limit):
            yield Sample(id=row.id, messages=[{"role": "user", "content": self.prompt(row.input)}],
                         target=row.output, metadata={"task": self.task})

    def prompt(self, text: str) -> str:
        style = self.option("prompt")
        if style == "auto":
            style = "opencompass" if self.opencompass else "data"
        return f"{self.hint}\nQuestion: {text}\nAnswer: " if style == "opencompass" else text

    def oracle_response(self, sample: Sample) -> str:
        return str(sample.target)

    # -- scoring ---------------------------------------------------------------------------
    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        found = self.extract_strict(reply, sample)
        # the final content rides along for OpenCompass's evaluator, which reads the whole reply
        return Prediction(value=found.value, stage=found.stage, failure=found.failure,
                          answer={"content": reply or ""} if self.opencompass else None)

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        raise NotImplementedError

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        raise NotImplementedError

    def score_opencompass(self, content: str, gold_output: str) -> float:
        raise NotImplementedError

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        strict = self.score_strict(prediction, sample)
        if not self.opencompass:
            return strict
        answer = prediction.answer if isinstance(prediction.answer, dict) else {}
        content = answer.get("content", "")
        return Score({**strict.values, "oc_score": self.score_opencompass(content, str(sample.target))}, strict.reason)


def hint(first: str, second: str) -> str:
    """OpenCompass writes each hint as a triple-quoted string whose second line keeps the
    config's four-space indent (smolinstruct_*_0shot_instruct.py); kept as sent."""
    return f"{first}\n    {second}"
