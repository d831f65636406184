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
from evalsuite.core.completions import normalise
from evalsuite.core.errors import EvalsuiteError
from evalsuite.core.extraction import FLEXIBLE
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
# stages that find an answer the reply did not give in the requested format: never format_ok
NO_FORMAT_STAGES = frozenset({"whole-reply", "think", FLEXIBLE})
GRADER_FAILURES = ("extractor error", "scorer error")


class RewardInputError(EvalsuiteError):
    """A grading request that cannot be graded: unknown benchmark, a target of the wrong type for
    its benchmark, missing metadata. A caller's bug, never a model's fault, so it is raised, not
    scored."""


class GraderError(RewardInputError):
    """The benchmark's extractor or scorer raised on this request: ``grade`` raises it rather than
    score a silent 0 (in a training run that is an all-zero reward)."""


_UNSET = object()  # no target given (ground_truth= instead)


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


def decode_target(bench: Benchmark, target: Any, *, json_text: bool = False) -> Any:
    """The sample's target from what a caller holds.

    The value as ``evalsuite samples`` prints it and ``load_run`` reads it (a TAIL or SMILES
    target is a ``str``, an HTE or crystal target an object). A ``str`` is read as JSON text
    only where that is unambiguous (the benchmark's target is not a ``str``) or asked for
    (``json_text``: an export's ``ground_truth``). A target of the wrong type raises, naming the
    benchmark and the type it takes.
    """
    expected = getattr(bench, "target_type", None)
    value = target
    if isinstance(target, str) and (json_text or (expected is not None and expected is not str)):
        try:
            value = json.loads(target)
        except ValueError as exc:
            kind = expected.__name__ if expected is not None else "value"
            raise RewardInputError(f"{bench.name}: the target is not the JSON text of a {kind} ({exc}): "
                                   f"{target[:80]!r}") from None
    if expected is not None and not isinstance(value, expected):
        how = ("as `evalsuite samples` prints it; an export's ground_truth is its JSON text"
               if expected is str else "or its JSON text")
        raise RewardInputError(f"{bench.name}: the target must be a {expected.__name__} ({how}), got "
                               f"{type(value).__name__} {str(value)[:80]!r}")
    return value


def sample_of(bench: Benchmark, target: Any, metadata: Mapping[str, Any] | None = None,
              sample_id: str = "reward", *, json_text: bool = False) -> Sample:
    needed = tuple(getattr(bench, "reward_metadata", ()))
    missing = [key for key in needed if key not in (metadata or {})]
    if missing:
        raise RewardInputError(
            f"{bench.name}: grading reads the sample metadata {', '.join(needed)}; missing {', '.join(missing)} "
            "(export train writes them to extra_info.metadata)"
        )
    kept = {key: (metadata or {})[key] for key in needed}
    return Sample(id=sample_id, messages=[], target=decode_target(bench, target, json_text=json_text), metadata=kept)


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


def grade(benchmark: str, target: Any = _UNSET, completion: Any = None, *, ground_truth: str | None = None,
          options: Mapping[str, Any] | None = None, metadata: Mapping[str, Any] | None = None,
          finish_reason: str | None = None) -> Grade:
    """Grade one completion against one target, exactly as ``evalsuite run`` grades a reply.

    ``benchmark``: a benchmark name (``tail/large-number-addition``) or ``evalsuite/<name>``;
    ``target``: the sample's target as ``evalsuite samples`` prints it (``decode_target``), or
    instead ``ground_truth=``: its JSON text, as every export writes it; ``completion``: the text
    (or a conversational list of messages), end-of-turn texts (``<|im_end|>``, ``</s>`` ...)
    removed (``evalsuite.core.completions``); ``options``: the benchmark's ``--set`` options;
    ``metadata``: the sample metadata keys the benchmark declares in ``reward_metadata`` (HTE:
    the menu); ``finish_reason``: the generator's (``length``: cut off, status ``truncated``).
    In process and uncapped; ``grade_many`` grades in the process pool with a time cap.
    A wrongly typed target raises ``RewardInputError``; an extractor or scorer that raises,
    ``GraderError``.
    """
    if (target is _UNSET) == (ground_truth is None):
        raise RewardInputError("give the target, or ground_truth= (its JSON text), not both")
    bench = benchmark_of(benchmark, options)
    sample = (sample_of(bench, ground_truth, metadata, json_text=True) if target is _UNSET
              else sample_of(bench, target, metadata))
    reply = Reply(text=completion_of(completion), finish_reason=finish_reason)
    prediction, score = grading.grade(bench, sample, reply)
    failure = prediction.failure or ""
    if failure.startswith(GRADER_FAILURES):
        raise GraderError(f"{bench.name}: {failure}")
    return grade_of(bench, prediction, score)


def completion_of(completion: Any) -> str | None:
    """The completion's text as graded (``evalsuite.core.completions.normalise``)."""
    try:
        return normalise(completion)
    except TypeError as exc:
        raise RewardInputError(str(exc)) from None
