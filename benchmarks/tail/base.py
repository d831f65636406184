"""What every TAIL length-generalization task shares: buckets, generation, prompts, grading.

TAIL (arXiv 2507.13332, Table C1) sets three length buckets per task: S is in-distribution,
M and L are out-of-distribution. A task subclass only says how to draw one instance of a given
length, how to solve it, and how to read and check an answer; this base turns that into
deterministic samples, prompts, extraction, scores and the length-generalization metrics.

Determinism: instance (task, bucket, seed, index) is drawn from ``random.Random`` seeded with
that string (string seeds are hashed with SHA-512, so they do not depend on PYTHONHASHSEED);
a draw that repeats an earlier instance of the same bucket is redrawn with the next attempt
number, so no bucket holds a duplicate.

Answers: a task's ``parse_answer`` turns the text after ``Final Answer:`` into a value and
``is_correct`` compares it with the parsed gold target. What samples.jsonl stores as the
prediction is that value in JSON form (``to_json``); ``from_json`` reads it back through
``format_answer`` + ``parse_answer``, so a stored or replayed structured prediction is graded
exactly like the reply text it stands for.

Shots (``--set shots=N``): N solved S-bucket instances go before the question as earlier
user / assistant turns (lm-eval's ``--fewshot_as_multiturn``; ChemBench4K's ``shots`` has the same
shape). They are the same for every sample of a run (one seed), so a server's prefix cache
shares them; a sample whose own instance is among them gets the next candidate instead, so a
shot never gives the answer away. The assistant turn is ``Final Answer: <answer>`` (with
``cot=tail``: the worked trace, then that line). Small chat models follow the answer format
from a shown turn where a written instruction alone leaves them writing prose.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core import data_info, intervals
from evalsuite.core.benchmark import BenchmarkBase, Reads, metric_means
from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError
from evalsuite.core.extraction import AMBIGUOUS, AmbiguousAnswer, extract_answer, last_number
from evalsuite.core.metrics import Metric, aggregate_only, proportion
from evalsuite.core.types import (
    BenchmarkResult,
    GenerationSettings,
    Message,
    Prediction,
    Sample,
    SampleRecord,
    Score,
)

BUCKETS = ("S", "M", "L")
ANSWER_STAGES = ("answer-tag", "boxed", "final-answer")
MAX_REDRAWS = 1000
MAX_SHOTS = 8
FIDELITIES = ("extended", "paper")
PAPER_FRAMES = (
    "{question}",
    "Solve the following problem.\n\n{question}",
    "Here is a problem for you. {question}",
    "Problem: {question}\nWork it out carefully.",
)
"""The framings the paper-mode questions are shown in: each task writes at least three questions,
so paper mode has at least 12 templates per task."""


@dataclass(frozen=True, slots=True)
class Instance:
    """One drawn problem: the values the prompt shows, the gold answer and its lengths."""

    fields: dict[str, Any]
    answer: Any
    lengths: dict[str, int]

    @property
    def length(self) -> int:
        """The length a curve is drawn over: the largest of the task's length parameters."""
        return max(self.lengths.values())


class TailTask(BenchmarkBase):
    """Base of one TAIL task. Subclasses set the class attributes and the five methods below."""

    task: ClassVar[str] = ""
    target_type: ClassVar[type | None] = str  # format_answer's text
    task_class: ClassVar[str] = ""
    ranges: ClassVar[dict[str, tuple[int, int]]] = {}
    templates: ClassVar[tuple[str, ...]] = ()
    paper_questions: ClassVar[tuple[str, ...]] = ()
    """Paper-mode questions (``--set fidelity=paper``), numbers in LaTeX ``$...$``; shown in each
    of ``PAPER_FRAMES``."""
    divergences: ClassVar[tuple[str, ...]] = ()
    """How the default (``extended``) definition differs from Table C1 of the paper; shown by
    ``evalsuite list --long``. Empty: the same task, only the prompts differ."""
    trivial_share: ClassVar[float] = 0.1
    """At most this share of a bucket's samples may be trivial or guessable (``is_trivial``)."""
    flexible_number: ClassVar[bool] = False
    """The answer is one number: the flexible stage takes the last number of the reply."""
    answer_format: ClassVar[str] = "<answer>"
    """What goes after ``Final Answer:``, as told to the model (e.g. a comma-separated list)."""
    options: ClassVar[dict[str, Any]] = {
        "per_bucket": 500,
        "buckets": "S,M,L",
        "cot": "none",
        "effective_threshold": 0.5,
        "fidelity": "extended",
        "shots": 0,
    }
    group_by: ClassVar[tuple[str, ...]] = ("bucket", "length")
    group_order: ClassVar[dict[str, tuple[str, ...]]] = {"bucket": BUCKETS}
    stratify_by: ClassVar[tuple[str, ...] | None] = ("bucket",)
    stratified_limit: ClassVar[bool] = True  # instances are independent seeded draws: the first per bucket are a random subset
    reads: ClassVar[Reads] = Reads(metadata=("bucket", "length"), values=())
    """Scores and flags, and the metadata the length metrics and ``group_by`` need."""
    variant_field: ClassVar[str | None] = None
    """An instance field naming the question variant, copied to metadata (derangement's kind)."""
    metrics: ClassVar[tuple[Metric, ...]] = (
        proportion("accuracy", description="exact answer"),
        aggregate_only("id_accuracy", kind="proportion", description="accuracy on the in-distribution bucket S"),
        aggregate_only("ood_accuracy", kind="proportion", description="accuracy on the out-of-distribution buckets M, L"),
        aggregate_only("ood_id_ratio", description="ood_accuracy / id_accuracy"),
        aggregate_only("effective_length", kind="count",
                       description="longest length up to which accuracy stays above the threshold"),
    )
    generation = GenerationSettings(temperature=0.0, max_tokens=1024)

    def __init__(self, options: Mapping[str, str] | None = None):
        super().__init__(options)
        self._shot_candidates: dict[int, list[Instance]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.task and not cls.__dict__.get("name"):
            cls.name = f"tail/{cls.task}"  # the registry sets the same name; errors need it before

    @property
    def instruction(self) -> str:
        return f"Give your answer on a final line of the form `Final Answer: {self.answer_format}`."

    # -- what a task defines --------------------------------------------------------------
    def draw(self, rng: random.Random, bucket: str) -> Instance:
        """Draw one instance whose length parameters lie in ``self.ranges[bucket]``."""
        raise NotImplementedError

    def format_answer(self, answer: Any) -> str:
        """The gold answer as it should appear after ``Final Answer:``."""
        return str(answer)

    def parse_answer(self, text: str) -> Any:
        """Turn answer text into a comparable value; raise ValueError(reason) when it is not one."""
        raise NotImplementedError

    def is_correct(self, predicted: Any, gold: Any) -> bool:
        return predicted == gold

    def trace(self, instance: Instance) -> str:
        """A TAIL-style worked solution (atomic states, linear steps, operands restated)."""
        raise NotImplementedError

    def is_trivial(self, instance: Instance) -> bool:
        """A sample whose answer is trivial or guessable (k = 1, a 0.0000 quotient, none)."""
        return False

    def distinct_instances(self, bucket: str) -> int | None:
        """How many distinct instances a bucket can hold, when it is fewer than ``per_bucket``
        could ask (the bucket is then that size); None: practically unbounded."""
        return None

    def read_answer(self, text: str, sample: Sample) -> Any:
        """The answer text of one reply as a value; ``parse_answer`` unless the sample matters."""
        return self.parse_answer(text)

    def flexible_span(self, text: str) -> str | None:
        """The last answer-shaped span of a reply without the requested format (or None)."""
        return last_number(text) if self.flexible_number else None

    def extra_metadata(self, instance: Instance) -> dict[str, Any]:
        return {}

    @classmethod
    def list_notes(cls) -> list[str]:
        """What ``evalsuite list --long`` shows: the fidelity modes and each divergence."""
        notes = ["fidelity: extended (default) | paper (--set fidelity=paper: Table C1 of arXiv 2507.13332 "
                 f"as read, {len(cls.paper_questions) * len(PAPER_FRAMES)} templates, numbers in LaTeX)"]
        notes += [f"extended differs from the paper: {d}" for d in cls.divergences]
        if not cls.divergences:
            notes.append("extended differs from the paper: only in its prompts (5-6 templates, plain numbers)")
        notes.append(f"--set shots=N (0-{MAX_SHOTS}): N solved S-bucket problems as earlier chat turns, the same for "
                     "every sample; cot=tail: a worked trace in the prompt (or in each shot's answer)")
        return notes

    @property
    def paper(self) -> bool:
        return self.settings["fidelity"] == "paper"

    @property
    def active_templates(self) -> tuple[str, ...]:
        if self.paper:
            return tuple(frame.format(question=q) for q in self.paper_questions for frame in PAPER_FRAMES)
        return self.templates

    # -- engine side ------------------------------------------------------------------------
    def validate(self) -> None:
        buckets = [b.strip() for b in str(self.settings["buckets"]).split(",") if b.strip()]
        unknown = [b for b in buckets if b not in BUCKETS]
        if unknown or not buckets:
            raise BenchmarkError(f"{self.name}: buckets must be a comma list of S, M, L (got {self.settings['buckets']!r})")
        self.selected_buckets = tuple(b for b in BUCKETS if b in buckets)
        if self.settings["cot"] not in ("none", "tail"):
            raise BenchmarkError(f"{self.name}: cot must be 'none' or 'tail'")
        if self.settings["per_bucket"] < 1:
            raise BenchmarkError(f"{self.name}: per_bucket must be at least 1")
        if self.settings["fidelity"] not in FIDELITIES:
            raise BenchmarkError(f"{self.name}: fidelity must be one of {', '.join(FIDELITIES)}")
        if not 0 <= self.settings["shots"] <= MAX_SHOTS:
            raise BenchmarkError(f"{self.name}: shots must be 0 to {MAX_SHOTS}")

    def instances(self, bucket: str, seed: int) -> Iterator[tuple[int, Instance]]:
        """The bucket's instances in index order, duplicates redrawn.

        Drawn instances are remembered as digests of their fields (``DigestSet``): as text, a
        bucket of 33,000 long-number instances held 7 MB until the last sample was drawn.
        """
        from evalsuite.core.digest_set import DigestSet

        seen = DigestSet()
        size = self.settings["per_bucket"]
        size = min(size, self.distinct_instances(bucket) or size)
        trivial, cap = 0, int(self.trivial_share * size)
        mode = "|paper" if self.paper else ""  # paper mode draws its own instances
        for index in range(size):
            for attempt in range(MAX_REDRAWS):
                rng = random.Random(f"{self.task}|{bucket}|{seed}|{index}|{attempt}{mode}")
                instance = self.draw(rng, bucket)
                if self.is_trivial(instance) and trivial >= cap:
                    continue
                if seen.add(repr(sorted(instance.fields.items())).encode()):
                    trivial += self.is_trivial(instance)
                    break
            else:
                raise BenchmarkError(f"{self.name}: bucket {bucket} has fewer than {index + 1} distinct instances")
            yield index, instance

    def data_info(self, data: Path | None) -> DataInfo:
        return data_info.GENERATED  # seeded instances; --data is refused

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        """Buckets interleaved (S0, M0, L0, S1, ...) so that ``--limit`` keeps every bucket."""
        if data is not None:
            raise BenchmarkError(f"{self.name}: generated benchmark, --data is not used")
        streams = {bucket: self.instances(bucket, seed) for bucket in self.selected_buckets}
        produced = 0
        while streams:
            for bucket in list(streams):
                item = next(streams[bucket], None)
                if item is None:
                    del streams[bucket]
                    continue
                if limit is not None and produced >= limit:
                    return
                produced += 1
                yield self.make_sample(bucket, item[0], item[1], seed)

    def make_sample(self, bucket: str, index: int, instance: Instance, seed: int) -> Sample:
        rng = random.Random(f"{self.task}|template|{seed}|{bucket}|{index}")
        templates = self.active_templates
        chosen = instance.fields.get("template")  # an instance that carries its phrasing
        template = templates[chosen % len(templates)] if isinstance(chosen, int) else rng.choice(templates)
        question = template.format(**instance.fields)
        content = f"{question}\n\n{self.instruction}"
        shots = self.shot_turns(seed, instance)
        if self.settings["cot"] == "tail" and not shots:
            content = self.exemplar(bucket, index, seed, instance) + "\n\nNow solve this problem.\n\n" + content
        return Sample(
            id=f"{bucket}-{index:04d}",
            messages=[*shots, {"role": "user", "content": content}],
            target=self.format_answer(instance.answer),
            metadata={
                "task": self.task,
                "class": self.task_class,
                "bucket": bucket,
                "length": instance.length,
                "lengths": instance.lengths,
                "fidelity": self.settings["fidelity"],
                **({"variant": instance.fields[self.variant_field]} if self.variant_field else {}),
                **self.extra_metadata(instance),
            },
        )

    def shot_turns(self, seed: int, avoid: Instance) -> list[Message]:
        """The ``shots`` solved instances as user / assistant turns, none of them ``avoid``."""
        wanted = self.settings["shots"]
        if not wanted:
            return []
        chosen = [inst for inst in self.shot_candidates(seed) if inst.fields != avoid.fields][:wanted]
        turns: list[Message] = []
        for instance in chosen:
            answer = self.solution(instance, worked=self.settings["cot"] == "tail")
            question = self.active_templates[0].format(**instance.fields)
            turns += [{"role": "user", "content": f"{question}\n\n{self.instruction}"},
                      {"role": "assistant", "content": answer}]
        return turns

    def solution(self, instance: Instance, *, worked: bool) -> str:
        """The answer line an example shows, after the worked trace when ``worked``."""
        answer = f"Final Answer: {self.format_answer(instance.answer)}"
        return f"{self.trace(instance)}\n{answer}" if worked else answer

    def shot_candidates(self, seed: int) -> list[Instance]:
        """``shots + 1`` distinct S-bucket instances drawn off the sample streams (one spare
        replaces a shot equal to the sample's own instance); drawn once per seed."""
        cached = self._shot_candidates.get(seed)
        if cached is not None:
            return cached
        mode = "|paper" if self.paper else ""
        found: list[Instance] = []
        for attempt in range(MAX_REDRAWS):
            if len(found) > self.settings["shots"]:
                break
            instance = self.draw(random.Random(f"{self.task}|shot|{seed}|{attempt}{mode}"), "S")
            if all(instance.fields != other.fields for other in found):
                found.append(instance)
        self._shot_candidates[seed] = found
        return found

    def exemplar(self, bucket: str, index: int, seed: int, avoid: Instance | None = None) -> str:
        """One worked example from another instance (of the S bucket, drawn off the sample streams).

        The example is redrawn while it equals ``avoid`` (the sample's own instance), so an
        exemplar never gives the answer away.
        """
        for attempt in range(MAX_REDRAWS):
            rng = random.Random(f"{self.task}|exemplar|{seed}|{bucket}|{index}|{attempt}")
            instance = self.draw(rng, "S")
            if avoid is None or instance.fields != avoid.fields:
                break
        question = self.active_templates[0].format(**instance.fields)
        return f"Example problem:\n{question}\n\nExample solution:\n{self.solution(instance, worked=True)}"

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        found = extract_answer(reply, ANSWER_STAGES, flexible=self.flexible_span)
        if not found.ok:
            return Prediction.failed(found.failure or "no answer", found.stage)
        try:
            value = self.read_answer(found.answer or "", sample)
        except AmbiguousAnswer as exc:
            return Prediction.failed(f"{AMBIGUOUS}: {exc}", found.stage)
        except ValueError as exc:
            return Prediction.failed(f"unparseable answer: {exc}", found.stage)
        return Prediction(value=self.to_json(value), stage=found.stage, answer=value)

    def to_json(self, value: Any) -> Any:
        """The parsed value as stored in samples.jsonl: tuples become lists, decimals strings."""
        if isinstance(value, (set, frozenset)):
            return sorted((self.to_json(v) for v in value), key=repr)
        if isinstance(value, (tuple, list)):
            return [self.to_json(v) for v in value]
        if isinstance(value, (int, str, bool)) or value is None:
            return value
        return str(value)

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"accuracy": 0.0}, reason=prediction.failure)
        gold = self.parsed_target(sample.target)
        try:
            predicted = prediction.answer if prediction.answer is not None else self.from_json(prediction.value)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            return Score({"accuracy": 0.0}, reason=f"unparseable prediction: {exc}")
        if self.is_correct(predicted, gold):
            return Score({"accuracy": 1.0})
        return Score({"accuracy": 0.0}, reason="wrong answer")

    def parsed_target(self, target: str) -> Any:
        """The gold answer parsed once per distinct target (epochs and re-grades reuse it)."""
        cache: dict[str, Any] = self.__dict__.setdefault("_targets", {})
        if target not in cache:
            if len(cache) >= 4096:
                cache.clear()
            cache[target] = self.parse_answer(target)
        return cache[target]

    def from_json(self, value: Any) -> Any:
        """Inverse of ``to_json``: a string is parsed, any other value formatted then parsed."""
        return self.parse_answer(value if isinstance(value, str) else self.format_answer(value))

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        try:
            parsed = self.from_json(value)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            return Prediction.failed(f"unparseable prediction: {exc}", "structured")
        return Prediction(value=self.to_json(parsed), stage="structured", answer=parsed)

    def canonical_answer(self, prediction: Any) -> str:
        """The answer in the task's own canonical form (the number for numbers, the sorted set
        for sets): what maj@K votes on."""
        return self.format_answer(self.from_json(prediction))

    def oracle_response(self, sample: Sample) -> str:
        return f"Working through the problem step by step.\nFinal Answer: {sample.target}"

    # -- length-generalization metrics ------------------------------------------------------
    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        import numpy as np

        from evalsuite.core.record_table import RecordTable

        table = RecordTable.of(records, self.reads)
        metrics = metric_means(table, seed, self.metric_set())
        accuracy, (buckets, bucket_of) = table.score("accuracy"), table.slots("bucket")

        def accuracies(*wanted: str) -> np.ndarray:  # bucket by bucket, each in id order
            return np.concatenate([np.empty(0), *(accuracy[bucket_of == buckets.index(b) + 1] for b in wanted if b in buckets)])

        in_dist, out_dist = accuracies("S"), accuracies("M", "L")
        metrics["id_accuracy"] = intervals.summarize(in_dist, seed=seed, kind="proportion")
        metrics["ood_accuracy"] = intervals.summarize(out_dist, seed=seed, kind="proportion")
        id_value, ood_value = metrics["id_accuracy"].value, metrics["ood_accuracy"].value
        ratio = ood_value / id_value if id_value and ood_value is not None else None
        metrics["ood_id_ratio"] = intervals.MetricValue(value=ratio, ci95=None, n=len(out_dist))
        threshold = float(self.settings["effective_threshold"])
        lengths, length_of = table.slots("length")
        # on the curve a sample without accuracy counts as wrong; sums run in id order
        credited = np.bincount(length_of, weights=table.score("accuracy", absent=0.0), minlength=len(lengths) + 1)
        counts = np.bincount(length_of, minlength=len(lengths) + 1)
        curve = {length: float(credited[i] / counts[i]) for i, length in enumerate(lengths, start=1)}
        metrics["effective_length"] = intervals.MetricValue(
            value=effective_length(curve, threshold), ci95=None, n=len(table)
        )
        result = BenchmarkResult(
            n=len(table),
            metrics=metrics,
            headline="accuracy",
            extra={
                "in_distribution_max_length": self.ranges["S"][1],
                "effective_length_threshold": threshold,
                "task_class": self.task_class,
                "ranges": {b: list(r) for b, r in self.ranges.items()},
                "fidelity": self.settings["fidelity"],
            },
        )
        result.groups = self.grouped_metrics(table, seed)
        return result


def effective_length(curve: dict[int, float], threshold: float) -> float:
    """Largest length before accuracy first falls below ``threshold`` (lengths ascending).

    0 when the shortest length is already below the threshold.
    """
    best = 0
    for length in sorted(curve):
        if curve[length] < threshold:
            break
        best = length
    return float(best)


def draw_length(rng: random.Random, span: tuple[int, int]) -> int:
    return rng.randint(span[0], span[1])
