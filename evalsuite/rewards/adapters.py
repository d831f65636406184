"""Trainer adapters: thin wrappers that call ``grade`` the way each trainer calls a reward.

- verl (``custom_reward_function.path=... name=compute_score``): the ``NaiveRewardManager``
  calls ``compute_score(data_source=, solution_str=, ground_truth=, extra_info=)`` and reads the
  dict's ``score`` (other keys are logged); the ``BatchRewardManager`` calls
  ``compute_score(data_sources=, solution_strs=, ground_truths=, extra_infos=)``.
- TRL ``GRPOTrainer(reward_funcs=[trl_reward("tail", eos_token_id=...)])``: called as
  ``f(prompts=, completions=, completion_ids=, trainer_state=, log_extra=, log_metric=, **columns)``,
  every other dataset column as a list (``GRPOTrainer._calculate_rewards``, trl 1.16.0
  ``trl/trainer/grpo_trainer.py``).
The row layout is what ``evalsuite export train`` writes: ``data_source`` = ``evalsuite/<benchmark>``,
``ground_truth`` = the JSON text of the target, ``extra_info`` = ``{"options": ..., "metadata": ...}``.

Truncation: a cut-off completion gets no credit (``finish_reason="length"``). TRL's completions
are decoded without special tokens, so its cut is read from ``completion_ids`` by TRL's own rule
(the last id is neither an EOS id nor the pad id; trl 1.16.0 ``grpo_trainer.py``, where
``completions/clipped_ratio`` and ``mask_truncated_completions`` use it), given the EOS ids.
verl passes no truncation flag to ``compute_score`` (its rollout maps both "stop" and "length" to
"completed"), so a ``truncated`` key in ``extra_info`` or keyword is honoured where a caller adds one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from evalsuite.rewards.batch import Request, grade_many
from evalsuite.rewards.core import DATA_SOURCE_PREFIX, Grade, RewardInputError, benchmark_name

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

    ``ground_truth`` is the export's JSON text of the target. Returns ``{"score", "acc",
    "format", "status"}`` (a list of them for a batch); ``status`` is a string, which verl
    keeps as per-sample ``reward_extra_info``. ``truncated=True`` (a keyword, or a key of
    ``extra_info``): the response was cut off, no credit. Other keyword arguments verl may pass
    (``reward_router_address`` ...) are accepted and ignored.
    """
    if data_sources is not None:
        return compute_score_batch(data_sources, solution_strs or [], ground_truths or [], extra_infos, **kwargs)
    return verl_result(grade_many([verl_request(data_source, solution_str, ground_truth, extra_info,
                                                kwargs.get("truncated"))], workers=0)[0])


def verl_request(source: Any, text: Any, truth: Any, info: Any, truncated: Any = None) -> Request:
    options, metadata = extra_fields(info)
    if truncated is None and isinstance(info, Mapping):
        truncated = info.get("truncated")
    return Request(ours(source), truth, text, options, metadata, json_target=True,
                   finish_reason="length" if truncated else None)


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """verl's batch form: heavy graders (RDKit) run on every core in the grade pool."""
    n = len(data_sources)
    if not len(solution_strs) == len(ground_truths) == n:
        raise RewardInputError(f"batch lengths differ: {n} data_sources, {len(solution_strs)} solution_strs, "
                               f"{len(ground_truths)} ground_truths")
    infos = list(extra_infos) if extra_infos is not None else [None] * n
    cut = kwargs.get("truncated")
    flags = list(cut) if isinstance(cut, Sequence) else [None] * n
    requests = [verl_request(source, text, truth, info, flag)
                for source, text, truth, info, flag in zip(data_sources, solution_strs, ground_truths, infos, flags)]
    return [verl_result(g) for g in grade_many(requests)]


def end_ids(eos_token_id: Any, pad_token_id: Any, tokenizer: Any) -> frozenset[int] | None:
    """The ids that end a completion properly, TRL's set: the EOS ids (an int or a list; the
    tokenizer's ``eos_token_id`` too) and the pad id. None when none is known (no cut check)."""
    ids: set[int] = set()
    for value in (eos_token_id, pad_token_id, *((getattr(tokenizer, "eos_token_id", None),
                                                 getattr(tokenizer, "pad_token_id", None)) if tokenizer else ())):
        if isinstance(value, int) and not isinstance(value, bool):
            ids.add(value)
        elif isinstance(value, Sequence) and not isinstance(value, str):
            ids.update(v for v in value if isinstance(v, int))
    return frozenset(ids) if ids else None


def cut_off(ids: Any, ends: frozenset[int] | None) -> bool:
    """TRL's truncation rule: the completion's last id is not an end id (an empty one never ended)."""
    if ends is None or ids is None:
        return False
    ids = list(ids.tolist() if hasattr(ids, "tolist") else ids)
    return not ids or ids[-1] not in ends


def trl_reward(benchmark_or_family: str, component: str = "score", *, eos_token_id: int | Sequence[int] | None = None,
               pad_token_id: int | None = None, tokenizer: Any = None) -> Callable[..., list[float | None]]:
    """A GRPOTrainer reward function for a benchmark, or for every member of a family.

    Each row's target comes from the ``ground_truth`` column (JSON text, as the export writes
    it), its benchmark from ``data_source`` when present (else ``benchmark_or_family`` must name
    one benchmark); rows of other benchmarks get None (TRL skips them). ``component``:
    ``score``, ``correct`` or ``format_ok``. With ``eos_token_id`` (an id or a list: the model's
    ``generation_config.eos_token_id``), ``pad_token_id`` or a ``tokenizer`` (its EOS and pad ids),
    a completion whose ``completion_ids`` do not end in one of them was cut off: no credit.
    """
    ends = end_ids(eos_token_id, pad_token_id, tokenizer)
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
        ids = columns.get("completion_ids")
        if ids is None:
            ids = [None] * len(completions)
        rows: list[int] = []
        requests: list[Request] = []
        for i, (completion, truth, source, info, row_ids) in enumerate(zip(completions, truths, sources, infos, ids)):
            name = benchmark_name(source) if isinstance(source, str) else single
            if name is None:
                raise RewardInputError(f"row {i}: no data_source column, and {benchmark_or_family!r} is a family")
            if name not in members:
                continue
            options, metadata = extra_fields(info)
            rows.append(i)
            requests.append(Request(name, truth, completion, options, metadata, json_target=True,
                                    finish_reason="length" if cut_off(row_ids, ends) else None))
        out: list[float | None] = [None] * len(completions)
        for i, result in zip(rows, grade_many(requests)):
            value = getattr(result, component)
            out[i] = float(value)
        return out

    reward.__name__ = f"evalsuite_{benchmark_name(benchmark_or_family).replace('/', '_').replace('-', '_')}_{component}"
    return reward
