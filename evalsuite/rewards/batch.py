"""Many gradings at once: in process for light graders, in the grade pool for heavy ones.

A request is ``(benchmark, target, completion)`` plus optional options and metadata. Requests
are checked in the caller's process (so a bad one raises at once, naming its index), then
graded: a benchmark that declares ``grade_cost = "heavy"`` (RDKit) goes to the shared
``GradePool`` with its time cap; a light one (TAIL, crystal, HTE) is graded in process, where a
pool round trip would cost more than the grading itself.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalsuite.core.types import Reply
from evalsuite.engine.grade_pool import DEFAULT_TIMEOUT_S, GradePool, Item, grade_item
from evalsuite.rewards.core import Grade, RewardInputError, benchmark_of, completion_of, grade_of, sample_of


@dataclass(frozen=True, slots=True)
class Request:
    """``target`` as ``evalsuite samples`` prints it, or its JSON text with ``json_target``
    (an export's ``ground_truth``); ``finish_reason="length"``: the completion was cut off."""

    benchmark: str
    target: Any
    completion: Any
    options: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] | None = None
    json_target: bool = False
    finish_reason: str | None = None


_pools: dict[tuple[int | None, float], GradePool] = {}
_lock = threading.Lock()


def shared_pool(workers: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> GradePool:
    """One pool per (workers, cap) for the whole process, closed at exit."""
    with _lock:
        pool = _pools.get((workers, timeout_s))
        if pool is None:
            pool = _pools[(workers, timeout_s)] = GradePool(workers, timeout_s)
        return pool


@atexit.register
def close_pools() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()


def item_of(request: Request, index: int) -> Item:
    try:
        text = completion_of(request.completion)
        bench = benchmark_of(request.benchmark, request.options)
        sample = sample_of(bench, request.target, request.metadata, json_text=request.json_target)
    except RewardInputError as exc:
        raise RewardInputError(f"item {index}: {exc}") from None
    return Item(bench.name, dict(request.options), sample, Reply(text=text, finish_reason=request.finish_reason))


def uses_pool(item: Item, workers: int | None) -> bool:
    return workers != 0 and getattr(benchmark_of(item.benchmark, item.options), "grade_cost", "light") == "heavy"


def grade_items(items: Sequence[Item], *, workers: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                pool: GradePool | None = None) -> list[Grade]:
    """Grades of checked items, in order. ``workers=0``: everything in process, uncapped."""
    pooled = [i for i, item in enumerate(items) if uses_pool(item, workers)]
    futures = {}
    if pooled:
        chosen = pool or shared_pool(workers, timeout_s)
        futures = {i: chosen.submit(items[i]) for i in pooled}
    grades: list[Grade] = []
    for i, item in enumerate(items):  # light items are graded while the pool works
        prediction, score = futures[i].result() if i in futures else grade_item(item)
        grades.append(grade_of(benchmark_of(item.benchmark, item.options), prediction, score))
    return grades


def grade_many(requests: Sequence[Request | Mapping[str, Any] | tuple], *, workers: int | None = None,
               timeout_s: float = DEFAULT_TIMEOUT_S) -> list[Grade]:
    """``grade`` for many requests (``Request``, dicts with the same keys, or tuples
    ``(benchmark, target, completion)``); heavy graders run in the shared pool with a
    ``timeout_s`` cap per item (status ``timeout``), ``workers`` of them (None: every core)."""
    items = [item_of(as_request(r), i) for i, r in enumerate(requests)]
    return grade_items(items, workers=workers, timeout_s=timeout_s)


def as_request(raw: Request | Mapping[str, Any] | tuple) -> Request:
    if isinstance(raw, Request):
        return raw
    if isinstance(raw, tuple):
        return Request(*raw)
    return Request(raw["benchmark"], raw["target"], raw.get("completion"), raw.get("options") or {},
                   raw.get("metadata"), bool(raw.get("json_target")), raw.get("finish_reason"))
