"""Which samples a run takes: all, a seeded subset stratified by the benchmark's groups
(``--limit N``), or the first N in data order (``--first N``). docs/contracts.md#sample-subsets.

``--limit N`` draws N samples so that every stratum (a value of the benchmark's
``stratify_by`` keys: reaction class, length bucket, stable/unstable) keeps its share of the
data, and every stratum is represented once N reaches the number of strata. Within a stratum the
samples with the smallest priority are taken, the priority being a hash of (seed, benchmark,
sample id): the same seed draws the same items whatever the order of the data file, another
seed other items. One pass over the samples keeps at most N candidates per stratum (a bounded
heap), never the whole data set, and the drawn samples come out in data order.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalsuite.core.types import Sample

if TYPE_CHECKING:
    from evalsuite.core.benchmark import Benchmark


def select(bench: Benchmark, data: Path | None, seed: int, *, limit: int | None = None,
           first: int | None = None) -> Iterator[Sample]:
    """The samples of ``bench`` a run with these ``--limit`` / ``--first`` values takes."""
    if first is not None:
        return bench.samples(data, seed, first)
    if limit is None:
        return bench.samples(data, seed, None)
    if getattr(bench, "stratified_limit", False):
        # A generator that draws each stratum on its own (TAIL: per bucket) makes its own
        # stratified subset, without generating the samples it would drop.
        return bench.samples(data, seed, limit)
    keys = strata_keys(bench)
    return stratified(bench.samples(data, seed, None), lambda s: stratum_of(s, keys), limit, seed, bench.name)


def strata_keys(bench: Benchmark) -> tuple[str, ...]:
    """``stratify_by`` where the benchmark declares it, else its ``group_by`` keys."""
    declared = getattr(bench, "stratify_by", None)
    return tuple(declared if declared is not None else getattr(bench, "group_by", ()))


def stratum_of(sample: Sample, keys: Iterable[str]) -> str:
    """A sample's stratum: each key's value from its metadata, else from its target when the
    target is an object (crystal-stability's ``stable``); absent keys read as null."""
    values = []
    for key in keys:
        if key in sample.metadata:
            values.append(sample.metadata[key])
        elif isinstance(sample.target, Mapping):
            values.append(sample.target.get(key))
        else:
            values.append(None)
    return json.dumps(values, sort_keys=True, default=str)


def priority(seed: int, salt: str, sample_id: str) -> int:
    digest = hashlib.blake2b(f"{seed}\x00{salt}\x00{sample_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def allocate(counts: Mapping[str, int], limit: int) -> dict[str, int]:
    """Samples per stratum: one each when ``limit`` allows, the rest in proportion to the
    strata's sizes (largest remainder; ties to the larger stratum, then by name)."""
    total = sum(counts.values())
    if limit >= total:
        return dict(counts)
    names = sorted(counts)
    base = {name: (1 if limit >= len(names) else 0) for name in names}
    room = {name: counts[name] - base[name] for name in names}
    rest, spare = limit - sum(base.values()), sum(room.values())
    exact = {name: rest * room[name] / spare if spare else 0.0 for name in names}
    quota = {name: base[name] + math.floor(exact[name]) for name in names}
    order = sorted(names, key=lambda name: (-(exact[name] - math.floor(exact[name])), -counts[name], name))
    for name in order[: limit - sum(quota.values())]:
        quota[name] += 1
    return quota


def stratified(samples: Iterable[Sample], stratum: Any, limit: int, seed: int, salt: str) -> Iterator[Sample]:
    """``limit`` samples drawn per ``allocate``, in their original order (see the module doc)."""
    if limit < 1:
        return
    heaps: dict[str, list[tuple[int, int, Sample]]] = {}
    counts: dict[str, int] = {}
    for position, sample in enumerate(samples):
        name = stratum(sample)
        counts[name] = counts.get(name, 0) + 1
        heap = heaps.setdefault(name, [])
        entry = (-priority(seed, salt, sample.id), position, sample)  # max-heap of the smallest priorities
        if len(heap) < limit:
            heapq.heappush(heap, entry)
        elif entry[0] > heap[0][0]:
            heapq.heapreplace(heap, entry)
    chosen: list[tuple[int, Sample]] = []
    for name, quota in allocate(counts, limit).items():
        best = sorted(heaps[name], key=lambda e: -e[0])[:quota]
        chosen += [(position, sample) for _, position, sample in best]
    for _, sample in sorted(chosen, key=lambda item: item[0]):
        yield sample
