"""Trainer adapters: thin wrappers that call ``grade`` the way each trainer calls a reward.

- verl (``custom_reward_function.path=... name=compute_score``): the ``NaiveRewardManager``
  calls ``compute_score(data_source=, solution_str=, ground_truth=, extra_info=)`` and reads the
  dict's ``score`` (other keys are logged); the ``BatchRewardManager`` calls
  ``compute_score(data_sources=, solution_strs=, ground_truths=, extra_infos=)``.
- TRL ``GRPOTrainer(reward_funcs=[trl_reward("tail")])``: called as
  ``f(prompts=, completions=, **columns)``, every dataset column but ``prompt`` as a list.
The row layout is what ``evalsuite export train`` writes: ``data_source`` = ``evalsuite/<benchmark>``,
``ground_truth`` = the JSON of the target, ``extra_info`` = ``{"options": ..., "metadata": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from evalsuite.rewards.batch import Request, grade_many
from evalsuite.rewards.core import DATA_SOURCE_PREFIX, Grade, RewardInputError, benchmark_name, grade

COMPONENTS = ("score", "correct", "format_ok")


def verl_result(result: Grade) -> dict[str, Any]:
    return {"score": result.score, "acc": float(result.correct), "format": float(result.format_ok),
            "status": result.status}


def ours(data_source: Any) -> str:
    """The benchmark named by a verl ``data_source``; anything else is not ours to grade."""
    if not isinstance(data_source, str) or not data_source.startswith(DATA_SOURCE_PREFIX):
        raise RewardInputError(f"data_source {data_source!r} is not an evalsuite benchmark (evalsuite/<name>)")
    return benchmark_name(data_source)


def extra_fields(extra_info: Any) -> tuple[Mapping[str, Any], Mapping[str, Any] | None]:
    """(options, metadata) from an export's ``extra_info`` (a dict, or None); each is an object
    or its JSON text (what the export writes, since parquet would merge nested keys)."""
    if not isinstance(extra_info, Mapping):
        return {}, None
    return decoded(extra_info.get("options")) or {}, decoded(extra_info.get("metadata"))


def decoded(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise RewardInputError(f"extra_info field is not JSON: {value[:80]!r}") from None
    return value if isinstance(value, Mapping) else None


def compute_score(data_source: Any = None, solution_str: str | None = None, ground_truth: Any = None,
                  extra_info: Any = None, *, data_sources: Sequence[Any] | None = None,
                  solution_strs: Sequence[str] | None = None, ground_truths: Sequence[Any] | None = None,
                  extra_infos: Sequence[Any] | None = None, **kwargs: Any) -> dict[str, Any] | list[dict[str, Any]]:
    """verl's reward function, one row or (with the plural keywords) a batch.

    Returns ``{"score", "acc", "format", "status"}`` (a list of them for a batch). Other keyword
    arguments verl may pass (``num_turns`` ...) are accepted and ignored.
    """
    if data_sources is not None:
        return compute_score_batch(data_sources, solution_strs or [], ground_truths or [], extra_infos)
    options, metadata = extra_fields(extra_info)
    return verl_result(grade(ours(data_source), ground_truth, solution_str, options=options, metadata=metadata))


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """verl's batch form: heavy graders (RDKit) run on every core in the grade pool."""
    n = len(data_sources)
    if not len(solution_strs) == len(ground_truths) == n:
        raise RewardInputError(f"batch lengths differ: {n} data_sources, {len(solution_strs)} solution_strs, "
                               f"{len(ground_truths)} ground_truths")
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    requests = []
    for source, text, truth, info in zip(data_sources, solution_strs, ground_truths, infos):
        options, metadata = extra_fields(info)
        requests.append(Request(ours(source), truth, text, options, metadata))
    return [verl_result(g) for g in grade_many(requests)]


def completion_text(completion: Any) -> str | None:
    """A TRL completion: a plain string, or a conversational list of messages (the assistant's
    contents joined, as the model wrote them)."""
    if completion is None or isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence):
        parts = [m.get("content") for m in completion if isinstance(m, Mapping) and m.get("role", "assistant") == "assistant"]
        return "".join(p for p in parts if isinstance(p, str))
    raise RewardInputError(f"completion must be a string or a list of messages, got {type(completion).__name__}")


def trl_reward(benchmark_or_family: str, component: str = "score") -> Callable[..., list[float | None]]:
    """A GRPOTrainer reward function for a benchmark, or for every member of a family.

    Each row's target comes from the ``ground_truth`` column, its benchmark from ``data_source``
    when present (else ``benchmark_or_family`` must name one benchmark); rows of other
    benchmarks get None (TRL skips them). ``component``: ``score``, ``correct`` or ``format_ok``.
    """
    from evalsuite.core import registry

    if component not in COMPONENTS:
        raise RewardInputError(f"component must be one of {', '.join(COMPONENTS)}, got {component!r}")
    try:
        members = set(registry.expand([benchmark_name(benchmark_or_family)]))
    except Exception as exc:  # noqa: BLE001 - re-raised as the rewards API's own error
        raise RewardInputError(str(exc)) from None
    single = next(iter(members)) if len(members) == 1 else None

    def reward(prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float | None]:
        truths = columns.get("ground_truth")
        if truths is None:
            raise RewardInputError("the dataset has no ground_truth column (export train writes one)")
        sources = columns.get("data_source") or [None] * len(completions)
        infos = columns.get("extra_info") or [None] * len(completions)
        rows: list[int] = []
        requests: list[Request] = []
        for i, (completion, truth, source, info) in enumerate(zip(completions, truths, sources, infos)):
            name = benchmark_name(source) if isinstance(source, str) else single
            if name is None:
                raise RewardInputError(f"row {i}: no data_source column, and {benchmark_or_family!r} is a family")
            if name not in members:
                continue
            options, metadata = extra_fields(info)
            rows.append(i)
            requests.append(Request(name, truth, completion_text(completion), options, metadata))
        out: list[float | None] = [None] * len(completions)
        for i, result in zip(rows, grade_many(requests)):
            value = getattr(result, component)
            out[i] = float(value)
        return out

    reward.__name__ = f"evalsuite_{benchmark_name(benchmark_or_family).replace('/', '_').replace('-', '_')}_{component}"
    return reward
