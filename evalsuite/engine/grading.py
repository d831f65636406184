"""Grading one reply: extract, score, and the record that is journaled.

The single place a sample's ``SampleRecord`` is built. ``evalsuite run``, the lm-eval export and
the rewards API all grade through ``grade``, so their numbers cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from evalsuite.core.benchmark import Benchmark
from evalsuite.core.extraction import FLEXIBLE
from evalsuite.core.reasoning import parts_of
from evalsuite.core.types import TRUNCATED, Message, Prediction, Reply, Sample, SampleRecord, Score
from evalsuite.engine.rundir import prompt_hash

REASON_LIMIT = 300
OVERSIZE_FAILURE = "no-answer"  # the contract's status of a reply over its benchmark's size cap


def grade(bench: Benchmark, sample: Sample, reply: Reply) -> tuple[Prediction, Score]:
    """Extract and score, under the strict rule and the flexible one (``with_flexible``)."""
    prediction, score = grade_strict(bench, sample, reply)
    return prediction, with_flexible(bench, sample, prediction, score)


def with_flexible(bench: Benchmark, sample: Sample, prediction: Prediction, score: Score) -> Score:
    """Add ``<headline>_flexible`` (where the headline is a per-sample score).

    A prediction found only by the flexible stage (the requested answer format was missing)
    scores every metric as a failed extraction, as the strict rule says; its own grade goes to
    ``<headline>_flexible`` alone. Any other sample's flexible value is its headline value.
    """
    headline, name = bench.headline, f"{bench.headline}_flexible"
    if prediction.stage != FLEXIBLE or not prediction.ok:
        if headline not in score.values:
            return score
        return Score({**score.values, name: score.values[headline]}, score.reason)
    missing = Prediction.failed("no answer in the requested format", stage=FLEXIBLE)
    strict = bench.score(missing, sample)
    if headline not in score.values:
        return strict
    reason = f"{strict.reason or 'no answer in the requested format'}; flexible: {score.reason or 'credited'}"
    return Score({**strict.values, name: score.values[headline]}, reason)


def grade_strict(bench: Benchmark, sample: Sample, reply: Reply) -> tuple[Prediction, Score]:
    """Extract and score; a bug in a benchmark's extractor or scorer fails the sample, not the run.

    A sample whose extractor or scorer raised records every declared per-sample metric as a
    failure (0 for a proportion, 1 where lower is better; no value for a continuous metric) and
    the error text as its reason; aggregate-only metrics count it as a miss through its failed
    extraction.

    The answer is extracted from the reply's final content only; a reply cut off before its
    answer (``evalsuite.core.reasoning``) fails as ``truncated`` without extraction, so a draft
    answer in its reasoning earns no credit.
    """
    cap = getattr(bench, "max_reply_chars", None)
    try:
        if reply.error is not None:
            prediction = Prediction.failed(f"no reply: {reply.error}")
        elif cap is not None and reply.text is not None and len(reply.text) > cap:
            prediction = Prediction.failed(f"{OVERSIZE_FAILURE}: reply over {cap} characters")
        elif reply.prediction is not None:
            prediction = bench.from_structured(reply.prediction, sample)
        else:
            parts = parts_of(reply)
            if parts.truncated:
                prediction = Prediction.failed(TRUNCATED)
            else:
                prediction = bench.extract(parts.content, sample)
    except Exception as exc:  # noqa: BLE001 - recorded, never hidden
        prediction = Prediction.failed(f"extractor error: {type(exc).__name__}: {exc}"[:REASON_LIMIT])
        return prediction, Score(bench.metric_set().failure_scores(), reason=prediction.failure)
    try:
        score = bench.score(prediction, sample)
    except Exception as exc:  # noqa: BLE001
        reason = f"scorer error: {type(exc).__name__}: {exc}"[:REASON_LIMIT]
        return Prediction.failed(reason, stage=prediction.stage), Score(bench.metric_set().failure_scores(), reason)
    return prediction, score


def record_of(bench: Benchmark, sample: Sample, messages: list[Message], reply: Reply, prediction: Prediction,
              score: Score, *, epoch: int = 0) -> SampleRecord:
    """The journal record of one graded sample (``epoch``: which of the item's replies):
    ``response`` is the final content and ``reasoning`` the reasoning, whether the server sent it
    apart or inline in think blocks."""
    parts = parts_of(reply)
    return SampleRecord(
        benchmark=bench.name,
        id=sample.id,
        prompt=messages,
        response=parts.content,
        prediction=prediction.value,
        target=sample.target,
        scores=dict(score.values),
        extraction=prediction.extraction_label,
        error=reply.error,
        reason=score.reason,
        metadata=sample.metadata,
        prompt_hash=prompt_hash(messages),
        cached=reply.cached,
        epoch=epoch,
        reasoning=parts.reasoning,
        usage=reply.usage,
        finish_reason=reply.finish_reason,
        latency_s=reply.latency_s,
        attempts=reply.attempts,
    )


def graded(bench: Benchmark, sample: Sample, response: str | None, *, prediction: Any = None,
           error: str | None = None) -> SampleRecord:
    """The record ``evalsuite run`` journals for this reply to ``sample`` (a library caller's, or a
    test's, way to grade one reply exactly as a run does)."""
    reply = Reply(text=response, prediction=prediction, error=error)
    found, score = grade(bench, sample, reply)
    return record_of(bench, sample, sample.messages, reply, found, score)
