"""The benchmark role: turn data into samples, replies into predictions, predictions into scores.

A benchmark module defines one subclass of ``BenchmarkBase`` (or several, gathered in a
``Family``) and is registered under the entry-point group ``evalsuite.benchmarks``. The runner
only ever talks to the ``Benchmark`` protocol below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from evalsuite import stats
from evalsuite.types import (
    BenchmarkResult,
    GenerationSettings,
    MetricValue,
    Prediction,
    Sample,
    SampleRecord,
    Score,
)

T = TypeVar("T")


class BenchmarkError(Exception):
    """A benchmark cannot run as configured (bad option, unreadable data): shown to the user."""


class DataError(BenchmarkError):
    """A data row is broken. The message names the file and line."""

    def __init__(self, path: Path | str, line: int, problem: str):
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = str(path), line, problem


@runtime_checkable
class Benchmark(Protocol):
    name: str
    description: str
    version: str
    headline: str
    generation: GenerationSettings

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]: ...

    def extract(self, reply: str | None, sample: Sample) -> Prediction: ...

    def score(self, prediction: Prediction, sample: Sample) -> Score: ...

    def oracle_response(self, sample: Sample) -> str: ...

    def from_structured(self, value: Any, sample: Sample) -> Prediction: ...

    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult: ...

    def config(self) -> dict[str, Any]: ...


class BenchmarkBase:
    """Shared plumbing: typed options, default aggregation, the oracle hook.

    Subclasses set the class attributes and implement ``samples``, ``extract``, ``score`` and
    ``oracle_response``. ``options`` declares accepted ``--set key=value`` options with their
    defaults; their type is taken from the default.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    headline: ClassVar[str] = "accuracy"
    higher_is_better: ClassVar[dict[str, bool]] = {}
    group_by: ClassVar[tuple[str, ...]] = ()
    group_order: ClassVar[dict[str, tuple[Any, ...]]] = {}
    """Display order of a group's values where natural sorting is wrong (S, M, L)."""
    options: ClassVar[dict[str, Any]] = {}
    generation: GenerationSettings = GenerationSettings()

    def __init__(self, options: Mapping[str, str] | None = None):
        self.settings: dict[str, Any] = dict(self.options)
        for key, raw in (options or {}).items():
            if key not in self.options:
                known = ", ".join(sorted(self.options)) or "none"
                raise BenchmarkError(f"{self.name}: unknown option {key!r} (known options: {known})")
            self.settings[key] = parse_option(self.name, key, raw, self.options[key])
        self.validate()

    def validate(self) -> None:
        """Check option values; raise BenchmarkError with a clear message."""

    def option(self, key: str) -> Any:
        return self.settings[key]

    def config(self) -> dict[str, Any]:
        """What identifies this benchmark's grading in a run: name, version, options."""
        return {"name": self.name, "version": self.version, "options": dict(self.settings)}

    # -- to implement -------------------------------------------------------------------
    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        raise NotImplementedError

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        raise NotImplementedError

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        raise NotImplementedError

    def oracle_response(self, sample: Sample) -> str:
        raise NotImplementedError

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        """A replay line's ready-made ``prediction``; override to validate or normalise it."""
        return Prediction(value=value, stage="structured")

    # -- default aggregation --------------------------------------------------------------
    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        """Mean of every score value with a 95% CI, plus failure rates, grouped by ``group_by``."""
        records = sorted(records, key=lambda r: r.id)  # CIs must not depend on finishing order
        result = BenchmarkResult(
            n=len(records),
            metrics=metric_means(records, seed),
            headline=self.headline,
            higher_is_better=dict(self.higher_is_better),
        )
        result.groups = self.grouped_metrics(records, seed)
        return result

    def grouped_metrics(self, records: Sequence[SampleRecord], seed: int) -> dict[str, dict[str, dict[str, Any]]]:
        """``group_by`` key -> group value -> {n, metrics}, in ``group_order`` where given."""
        return {
            key: {
                str(value): {"n": len(members), "metrics": to_dicts(metric_means(members, seed))}
                for value, members in group_records(records, key, self.group_order.get(key)).items()
            }
            for key in self.group_by
        }


def metric_means(records: Sequence[SampleRecord], seed: int) -> dict[str, MetricValue]:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record.scores))
    metrics = {name: stats.summarize([r.scores.get(name) for r in records], seed=seed) for name in names}
    n = len(records)
    metrics["extraction_failure_rate"] = stats.proportion(
        sum(1 for r in records if r.extraction_failed and not r.refused), n
    )
    metrics["refusal_rate"] = stats.proportion(sum(1 for r in records if r.refused), n)
    metrics["error_rate"] = stats.proportion(sum(1 for r in records if r.error), n)
    return metrics


def group_records(
    records: Iterable[SampleRecord], key: str, order: Sequence[Any] | None = None
) -> dict[Any, list[SampleRecord]]:
    """Records by their metadata value for ``key``; ordered by ``order``, else numbers then text."""
    groups: dict[Any, list[SampleRecord]] = {}
    for record in records:
        if key in record.metadata:
            groups.setdefault(record.metadata[key], []).append(record)
    rank = {value: i for i, value in enumerate(order or ())}
    return dict(sorted(groups.items(), key=lambda item: (rank.get(item[0], len(rank)), *sort_key(item[0]))))


def sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def to_dicts(metrics: Mapping[str, MetricValue]) -> dict[str, dict[str, Any]]:
    return {name: m.to_dict() for name, m in metrics.items()}


def parse_option(benchmark: str, key: str, raw: str | Any, default: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise BenchmarkError(
            f"{benchmark}: option {key}={raw!r} is not a valid {type(default).__name__}"
        ) from None
    return raw


def take(items: Iterable[T], limit: int | None) -> Iterator[T]:
    """The first ``limit`` items (all when limit is None)."""
    for index, item in enumerate(items):
        if limit is not None and index >= limit:
            return
        yield item


@dataclass
class Family:
    """Several benchmarks registered under one name (``tail`` -> ``tail/<task>``).

    ``summarize``, when set, receives ``{member name: results.json entry}`` for the members a
    run included and returns the family summary stored under results.json -> families -> name
    (e.g. accuracy per task class).
    """

    name: str
    description: str
    members: dict[str, type[BenchmarkBase]] = field(default_factory=dict)
    summarize: Callable[[dict[str, dict[str, Any]]], dict[str, Any]] | None = None
