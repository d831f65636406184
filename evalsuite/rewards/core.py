"""One reply graded as a training reward: ``evalsuite.engine.grading.grade`` plus the benchmark's reward.

``grade`` builds the ``Sample`` from the target (and the metadata keys a benchmark declares it
reads), grades the completion with the same function ``evalsuite run`` journals through, and
turns the score into a ``Grade`` with the benchmark's declared ``RewardSpec``. Pure and
picklable: the same inputs give the same ``Grade`` in any process.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evalsuite import __version__
from evalsuite.core.benchmark import Benchmark
from evalsuite.core.errors import EvalsuiteError
from evalsuite.core.registry import cached_benchmark, options_key
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import TRUNCATED, Prediction, Reply, Sample, Score
from evalsuite.engine import grading
from evalsuite.engine.grade_pool import CRASH_FAILURE, TIMEOUT_FAILURE

DATA_SOURCE_PREFIX = "evalsuite/"
STATUSES = ("ok", "no-answer", "refusal", "invalid", "truncated", "timeout", "error")
ERROR_HEADS = frozenset({CRASH_FAILURE, "extractor error", "scorer error", "no reply"})
INVALID_HEADS = frozenset({"invalid", "unparseable answer", "unparseable prediction", "not on the menu",
                           "no SMILES in the answer"})
NO_FORMAT_STAGES = frozenset({"whole-reply", "think"})


class RewardInputError(EvalsuiteError):
    """A grading request that cannot be graded: unknown benchmark, a target that is not JSON,
    missing metadata. A caller's bug, never a model's fault, so it is raised, not scored."""


@dataclass(frozen=True, slots=True)
class Grade:
    score: float
    correct: bool
    format_ok: bool
    status: str
    subscores: dict[str, float | None] = field(default_factory=dict)
    grader_version: str = ""
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "correct": self.correct, "format_ok": self.format_ok, "status": self.status,
                "subscores": self.subscores, "grader_version": self.grader_version, "reason": self.reason}


def benchmark_name(name_or_source: str) -> str:
    """``evalsuite/tail/x`` (a trainer's ``data_source``) or ``tail/x`` -> ``tail/x``."""
    return name_or_source.removeprefix(DATA_SOURCE_PREFIX)


def benchmark_of(name: str, options: Mapping[str, Any] | None = None) -> Benchmark:
    """The benchmark instance grading ``name`` (family members only), made once per options."""
    try:
        return cached_benchmark(benchmark_name(name), options_key(options))
    except EvalsuiteError as exc:
        raise RewardInputError(str(exc)) from None


def spec_of(bench: Benchmark) -> RewardSpec:
    spec = getattr(bench, "reward_spec", None)
    return spec() if callable(spec) else RewardSpec(correct=bench.headline)


@functools.lru_cache(maxsize=256)
def _version(name: str, version: str, config_json: str) -> str:
    digest = hashlib.blake2b(config_json.encode(), digest_size=4).hexdigest()
    return f"{name}/v{version}/evalsuite-{__version__}/{digest}"


def grader_version(bench: Benchmark) -> str:
    """Benchmark version, evalsuite version and a digest of the options: what graded."""
    return _version(bench.name, bench.version, json.dumps(bench.config(), sort_keys=True, default=str))


def decode_target(target: Any) -> Any:
    """A ``str`` target is the JSON text of the sample's target; anything else is the value."""
    if not isinstance(target, str):
        return target
    try:
        return json.loads(target)
    except ValueError as exc:
        raise RewardInputError(f"target is not JSON ({exc}); pass the JSON text of the sample's target") from None


def sample_of(bench: Benchmark, target: Any, metadata: Mapping[str, Any] | None = None,
              sample_id: str = "reward") -> Sample:
    needed = tuple(getattr(bench, "reward_metadata", ()))
    missing = [key for key in needed if key not in (metadata or {})]
    if missing:
        raise RewardInputError(
            f"{bench.name}: grading reads the sample metadata {', '.join(needed)}; missing {', '.join(missing)} "
            "(export train writes them to extra_info.metadata)"
        )
    kept = {key: (metadata or {})[key] for key in needed}
    return Sample(id=sample_id, messages=[], target=decode_target(target), metadata=kept)


def status_of(prediction: Prediction, score: Score) -> str:
    """The grade's status, read from the extraction failure the grader recorded (never re-parsed)."""
    failure = prediction.failure
    if failure is None:
        return "invalid" if score.values.get("invalid") == 1.0 else "ok"
    if failure == "refusal":
        return "refusal"
    head = failure.split(":", 1)[0].strip()
    if head == TRUNCATED:
        return "truncated"
    if head == TIMEOUT_FAILURE:
        return "timeout"
    if head in ERROR_HEADS:
        return "error"
    if head in INVALID_HEADS:
        return "invalid"
    return "no-answer"


def grade_of(bench: Benchmark, prediction: Prediction, score: Score) -> Grade:
    status = status_of(prediction, score)
    value, correct = spec_of(bench).reward(score.values)
    if status in ("timeout", "error", "truncated", "no-answer", "refusal"):
        value, correct = 0.0, False  # no credit without an answer, whatever a partial metric says
    format_ok = status in ("ok", "invalid") and prediction.stage not in NO_FORMAT_STAGES
    return Grade(value, correct, format_ok, status, dict(score.values), grader_version(bench), score.reason)


def grade(benchmark: str, target: Any, completion: str | None, *, options: Mapping[str, Any] | None = None,
          metadata: Mapping[str, Any] | None = None, finish_reason: str | None = None) -> Grade:
    """Grade one completion against one target, exactly as ``evalsuite run`` grades a reply.

    ``benchmark``: a benchmark name (``tail/large-number-addition``) or ``evalsuite/<name>``;
    ``target``: the JSON text of the sample's target (what ``evalsuite samples`` and every export
    write) or the decoded value; ``options``: the benchmark's ``--set`` options; ``metadata``:
    the sample metadata keys the benchmark declares in ``reward_metadata`` (HTE: the menu);
    ``finish_reason``: the generator's (``length``: cut off, status ``truncated``).
    In process and uncapped; ``grade_many`` grades in the process pool with a time cap.
    """
    if completion is not None and not isinstance(completion, str):
        raise RewardInputError(f"completion must be a string, got {type(completion).__name__}")
    bench = benchmark_of(benchmark, options)
    sample = sample_of(bench, target, metadata)
    prediction, score = grading.grade(bench, sample, Reply(text=completion, finish_reason=finish_reason))
    return grade_of(bench, prediction, score)
