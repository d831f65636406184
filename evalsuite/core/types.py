"""The records one sample passes through: Sample -> Reply -> Prediction -> Score -> SampleRecord.

Every record is a plain dataclass whose fields are JSON-serialisable, so a journal line can be
written with ``json.dumps(asdict(record))`` and read back without a schema library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


def _reduce_by_fields(record: Any) -> tuple[Any, tuple[Any, ...]]:
    """Pickle a slotted dataclass as its constructor call: the generated ``__getstate__`` /
    ``__setstate__`` walk ``fields()`` per object, which was most of the grade pool's cost per item."""
    cls = type(record)
    return cls, tuple(getattr(record, name) for name in cls.__slots__)


Message = dict[str, Any]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": str | [parts]}``; parts
are ``{"type": "text", "text": ...}`` and image references (``evalsuite.core.images``)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One benchmark item: what the model is asked, and what counts as right."""

    id: str
    messages: list[Message]
    target: Any
    metadata: dict[str, Any] = field(default_factory=dict)
    __reduce__ = _reduce_by_fields  # the grade pool sends samples, replies, predictions and scores

    @property
    def prompt_text(self) -> str:
        """The user-visible text of the prompt (last user message)."""
        for message in reversed(self.messages):
            if message["role"] == "user":
                from evalsuite.core.images import text_of

                return text_of(message["content"])
        return ""


SAMPLING_FIELDS: tuple[str, ...] = ("top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty",
                                     "reasoning_effort")
"""Request-body fields sent only when set (None: the server's own default applies)."""


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """How to sample a reply. Benchmarks set defaults; a model config and the CLI may override any
    field (docs/contracts.md#generation-settings).

    ``extra_body`` holds any other request-body field (``--gen-arg KEY=JSON``), e.g.
    ``chat_template_kwargs``. Fields left unset are not part of ``to_dict``, so adding a setting
    keeps the cache keys and resume fingerprints of runs that do not use it.
    """

    temperature: float = 0.0
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()
    seed: int | None = 0
    system_prompt: str | None = None
    top_p: float | None = None
    top_k: int | None = None
    min_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    reasoning_effort: str | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, overrides: dict[str, Any]) -> GenerationSettings:
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "stop" in clean:
            clean["stop"] = tuple(clean["stop"])
        if "extra_body" in clean:  # a benchmark's extra fields stay unless overridden one by one
            clean["extra_body"] = {**self.extra_body, **clean["extra_body"]}
        return replace(self, **clean)

    def sampling(self) -> dict[str, Any]:
        """The optional sampling fields that are set, by name."""
        return {name: getattr(self, name) for name in SAMPLING_FIELDS if getattr(self, name) is not None}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens,
                                "stop": list(self.stop), "seed": self.seed, "system_prompt": self.system_prompt}
        data.update(self.sampling())
        if self.extra_body:
            data["extra_body"] = self.extra_body
        return data


@dataclass(slots=True)
class Reply:
    """What a backend returned for one sample.

    ``text`` is the reply's final content (None when the server sent none); ``reasoning`` the
    reasoning text a server sent apart from it (``reasoning_content`` / ``reasoning``).
    ``prediction`` is set only when a replay file already holds a structured answer. ``error``
    is set when no reply could be obtained (after retries). ``usage`` holds the server's token
    counts (prompt_tokens, completion_tokens, reasoning_tokens where reported), ``finish_reason``
    why generation stopped, ``latency_s`` how long the last attempt took (a timed-out one
    included) and ``attempts`` how many were made.
    """

    text: str | None
    prediction: Any = None
    error: str | None = None
    cached: bool = False
    reasoning: str | None = None
    usage: dict[str, int] | None = None
    finish_reason: str | None = None
    latency_s: float | None = None
    attempts: int | None = None
    choices: list[Reply] | None = None
    """Every choice of a request that asked for ``n`` > 1 completions, in order (this reply is the
    first); None for a one-choice request. The engine journals each as its own epoch."""
    __reduce__ = _reduce_by_fields


@dataclass(frozen=True, slots=True)
class Prediction:
    """The answer extracted from a reply, in the benchmark's own form.

    ``stage`` names the extraction stage that matched (``answer-tag``, ``boxed``,
    ``final-answer``, ``json`` ...). When nothing usable was found, ``value`` is None and
    ``failure`` says why (``refusal``, ``no-answer``, ``unclosed-think``, ``invalid: ...``).
    A failure never earns credit.
    """

    value: Any
    stage: str | None = None
    failure: str | None = None
    answer: Any = field(default=None, compare=False)
    """The benchmark's own answer object (a parsed number, a set ...), handed to ``score`` as it
    is; ``value`` is its JSON form for samples.jsonl. None: the scorer reads ``value``."""
    __reduce__ = _reduce_by_fields

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def is_refusal(self) -> bool:
        return self.failure == "refusal"

    @classmethod
    def failed(cls, reason: str, stage: str | None = None) -> Prediction:
        return cls(value=None, stage=stage, failure=reason)

    @property
    def extraction_label(self) -> str:
        """What samples.jsonl records under ``extraction``: the stage, or ``failed: reason``."""
        if self.failure is None:
            return self.stage or "none"
        return f"{FAILED}: {self.failure}"


FAILED = "failed"
REFUSAL_LABEL = f"{FAILED}: refusal"
TRUNCATED = "truncated"
TRUNCATED_LABEL = f"{FAILED}: {TRUNCATED}"


def label_failed(label: str) -> bool:
    """Whether an ``extraction`` label records a failed extraction (a refusal included)."""
    return label.startswith(FAILED)


@dataclass(frozen=True, slots=True)
class Score:
    """Per-sample values (metric name -> value; None = not applicable) and why."""

    values: Mapping[str, float | None]
    reason: str | None = None
    __reduce__ = _reduce_by_fields


@dataclass(slots=True)
class SampleRecord:
    """One line of ``samples.jsonl``: everything needed to audit, re-aggregate or gate a sample."""

    benchmark: str
    id: str
    prompt: list[Message]
    response: str | None
    prediction: Any
    target: Any
    scores: dict[str, float | None]
    extraction: str
    error: str | None
    reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    prompt_hash: str = ""
    cached: bool = False
    epoch: int = 0
    """Which of the ``--epochs K`` replies to this item it is (0 .. K-1; sent with seed + epoch)."""
    reasoning: str | None = None
    usage: dict[str, int] | None = None
    finish_reason: str | None = None
    latency_s: float | None = None
    attempts: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The journal line: the fields in order, values shared, not copied (``asdict`` deep-copies
        every nested value, which cost more than extraction and scoring together)."""
        return {name: getattr(self, name) for name in RECORD_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SampleRecord:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @property
    def extraction_failed(self) -> bool:
        return label_failed(self.extraction)

    @property
    def refused(self) -> bool:
        return self.extraction == REFUSAL_LABEL

    @property
    def truncated(self) -> bool:
        return self.extraction == TRUNCATED_LABEL


RECORD_FIELDS: tuple[str, ...] = tuple(SampleRecord.__dataclass_fields__)


@dataclass(slots=True)
class MetricValue:
    value: float | None
    ci95: tuple[float, float] | None = None
    n: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "ci95": list(self.ci95) if self.ci95 is not None else None,
            "n": self.n,
        }


@dataclass(slots=True)
class BenchmarkResult:
    """Aggregated metrics of one benchmark in one run (``results.json`` -> benchmarks -> B)."""

    n: int
    metrics: dict[str, MetricValue]
    groups: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    headline: str | None = None
    higher_is_better: dict[str, bool | None] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    per_sample: list[str] = field(default_factory=list)
    baselines: dict[str, dict[str, float | None]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "headline": self.headline,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
            "higher_is_better": self.higher_is_better,
            "kinds": self.kinds,
            "per_sample": self.per_sample,
            "groups": self.groups,
            "baselines": self.baselines,
            **self.extra,
        }
