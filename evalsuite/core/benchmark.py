"""The benchmark role: turn data into samples, replies into predictions, predictions into scores.

A benchmark module defines one subclass of ``BenchmarkBase`` (or several, gathered in a
``Family``) and is registered under the entry-point group ``evalsuite.benchmarks``. The runner
only ever talks to the ``Benchmark`` protocol below.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError
from evalsuite.core.metrics import Metric, MetricSet
from evalsuite.core.reads import EVERYTHING, SCORES_ONLY, Reads
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import (
    BenchmarkResult,
    GenerationSettings,
    MetricValue,
    Prediction,
    Sample,
    SampleRecord,
    Score,
)

T = TypeVar("T")





@runtime_checkable
class Benchmark(Protocol):
    # Read-only members: a subclass of BenchmarkBase provides them as class attributes.
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def headline(self) -> str: ...

    @property
    def generation(self) -> GenerationSettings: ...

    @property
    def reads(self) -> Reads: ...

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]: ...

    def extract(self, reply: str | None, sample: Sample) -> Prediction: ...

    def score(self, prediction: Prediction, sample: Sample) -> Score: ...

    def oracle_response(self, sample: Sample) -> str: ...

    def from_structured(self, value: Any, sample: Sample) -> Prediction: ...

    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        """Metrics of the samples. A run passes a ``RecordTable`` loaded for ``reads`` (a
        sequence of records, in id order); tests and the gate may pass a plain list."""
        ...

    def config(self) -> dict[str, Any]: ...

    def metric_set(self) -> MetricSet:
        """Every metric this benchmark's results can hold, declared (engine metrics included)."""
        ...


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
    metrics: ClassVar[tuple[Metric, ...]] = ()
    """The benchmark's metrics, declared once (``evalsuite.core.metrics``); ``metric_set`` adds the
    engine's own. A benchmark whose metrics depend on its options overrides ``declared_metrics``."""
    group_by: ClassVar[tuple[str, ...]] = ()
    stratify_by: ClassVar[tuple[str, ...] | None] = None
    """The keys ``--limit N`` stratifies its seeded subset by (metadata keys, or target fields
    when the target is an object); None: the ``group_by`` keys. See ``evalsuite.engine.subset``."""
    stratified_limit: ClassVar[bool] = False
    """True when ``samples(limit=N)`` already returns a seeded subset stratified by
    ``stratify_by`` (a generator that draws each stratum on its own), so the engine need not
    generate every sample to draw one."""
    group_order: ClassVar[dict[str, tuple[Any, ...]]] = {}
    """Display order of a group's values where natural sorting is wrong (S, M, L)."""
    options: ClassVar[dict[str, Any]] = {}
    generation: GenerationSettings = GenerationSettings()
    reads: ClassVar[Reads] = EVERYTHING
    """What ``aggregate`` reads of each sample. Everything by default, as a subclass's own
    aggregate may read anything; one that reads less says so and costs less memory per sample."""

    reward: ClassVar[RewardSpec | None] = None
    """The training reward (``evalsuite.rewards``); None: the headline metric, exact 0/1."""
    reward_metadata: ClassVar[tuple[str, ...]] = ()
    """Sample metadata keys that extraction or scoring reads (a trainer must carry them)."""
    max_reply_chars: ClassVar[int | None] = 400_000
    """A longer reply fails as ``no-answer: reply over N characters`` before any extraction (a
    64k-token reply is about 256,000 characters of text; the cap bounds what one degenerate
    reply costs a grader, on the event loop of ``run`` too). None: the benchmark's ``extract``
    refuses a long reply itself, under a smaller cap of its own."""
    target_type: ClassVar[type | None] = None
    """The type of ``Sample.target`` (``str``, ``dict``): a target handed to the rewards API is
    checked against it, and a ``str`` is read as JSON text only where the target is not a
    ``str`` (unambiguous). None: not declared, the target is taken as given."""
    grade_cost: ClassVar[str] = "light"
    """``heavy``: grading a reply costs milliseconds (RDKit), so ``run`` grades it in the process
    pool (``evalsuite.engine.grade_pool``); ``light`` ones are graded in process, where a pool's
    round trip would cost more than the grading."""

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

    def declared_metrics(self) -> tuple[Metric, ...]:
        return self.metrics

    def input_modalities(self) -> tuple[str, ...]:
        """What the prompts hold: ``("text",)``, or with ``"image"`` for drawn structures (a backend
        that cannot take pictures is refused before the first request)."""
        return ("text",)

    def metric_set(self) -> MetricSet:
        cached: MetricSet | None = getattr(self, "_metric_set", None)
        if cached is None:
            cached = MetricSet(self.declared_metrics(), headline=self.headline)
            self._metric_set = cached
        return cached

    def reward_spec(self) -> RewardSpec:
        return self.reward or RewardSpec(correct=self.headline)

    def option(self, key: str) -> Any:
        return self.settings[key]

    def config(self) -> dict[str, Any]:
        """What identifies this benchmark's grading in a run: name, version, options."""
        return {"name": self.name, "version": self.version, "options": dict(self.settings)}

    def data_info(self, data: Path | None) -> DataInfo:
        """The data these options and ``--data`` grade, named (``evalsuite.core.data_info``). The
        default: the ``--data`` file by its name, else the benchmark's default data, unnamed; a
        benchmark with an embedded, pulled or generated set says which."""
        from evalsuite.core import data_info

        return data_info.of_file(data) if data is not None else data_info.DEFAULT

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

    def canonical_answer(self, prediction: Any) -> str:
        """The form in which two replies' answers are the same answer (maj@K and consistency
        under ``--epochs``): the prediction's JSON by default; benchmarks override it (canonical
        SMILES for chemistry, the number for numbers, the normalised set for sets)."""
        return json.dumps(prediction, sort_keys=True, ensure_ascii=False, default=str)

    # -- default aggregation --------------------------------------------------------------
    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        """Mean of every score value with a 95% CI, plus failure rates, grouped by ``group_by``."""
        # imported here, not at the top: numpy loads only when something aggregates
        from evalsuite.core.record_table import RecordTable

        table = RecordTable.of(records, self.reads)
        result = BenchmarkResult(
            n=len(table),
            metrics=metric_means(table, seed, self.metric_set()),
            headline=self.headline,
        )
        result.groups = self.grouped_metrics(table, seed)
        return result

    def point_values(self, records: Sequence[SampleRecord], seed: int) -> dict[str, float | None]:
        """Metric values alone, without intervals, groups or baselines: what the gate recomputes
        for each bootstrap draw of an aggregate-only metric. By default those of ``aggregate``;
        a benchmark whose aggregate is costly computes them directly (crystal-stability). A
        metric missing here is read from ``aggregate``."""
        return {name: metric.value for name, metric in self.aggregate(records, seed).metrics.items()}

    def grouped_metrics(self, records: Sequence[SampleRecord], seed: int) -> dict[str, dict[str, dict[str, Any]]]:
        """``group_by`` key -> group value -> {n, metrics}, in ``group_order`` where given, else
        numbers then text; samples without the key are in no group."""
        from evalsuite.core.record_table import RecordTable
        from evalsuite.core.table_metrics import means_by_group

        table = RecordTable.of(records, self.reads)
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for key in self.group_by:
            groups = means_by_group(table, key, seed, self.metric_set())
            rank = {value: i for i, value in enumerate(self.group_order.get(key, ()))}
            ordered = sorted(groups, key=lambda value: (rank.get(value, len(rank)), *sort_key(value)))
            out[key] = {str(value): {"n": groups[value][0], "metrics": to_dicts(groups[value][1])} for value in ordered}
        return out


def metric_means(records: Sequence[SampleRecord], seed: int, declared: MetricSet) -> dict[str, MetricValue]:
    """Every score name's mean with a 95% CI by its declared kind (None and missing scores
    skipped), then the extraction failure (refusals excluded), refusal and error rates."""
    from evalsuite.core.record_table import RecordTable
    from evalsuite.core.table_metrics import means

    return means(RecordTable.of(records, SCORES_ONLY), seed, declared)


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
