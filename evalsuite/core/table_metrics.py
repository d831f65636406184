"""Per-sample metric means over a ``RecordTable``: for all rows, or for every group of a metadata
key in one pass over each column (a group is a slot number per row, not a table of its own).

The values are those of ``intervals.summarize`` and ``intervals.proportion`` on each group's rows in id
order: a score declared a proportion gets the Wilson interval from its counts, any other is
summarized from its values (bootstrap), as its declaration (``evalsuite.core.metrics``) says.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from evalsuite.core import intervals
from evalsuite.core.metrics import MetricSet
from evalsuite.core.record_table import RecordTable
from evalsuite.core.types import REFUSAL_LABEL, TRUNCATED_LABEL, MetricValue, label_failed


def means(table: RecordTable, seed: int, declared: MetricSet) -> dict[str, MetricValue]:
    """Every score name's mean with a 95% CI (None and missing scores skipped), then the
    extraction failure (refusals and truncations excluded), refusal, error and truncation rates
    over all rows. A score name the benchmark does not declare raises ``UndeclaredMetric``."""
    return by_slot(table, np.zeros(len(table), dtype=np.uint8), 1, seed, declared)[0]


def means_by_group(table: RecordTable, key: str, seed: int,
                   declared: MetricSet) -> dict[Any, tuple[int, dict[str, MetricValue]]]:
    """Metadata value of ``key`` -> (rows, ``means`` of them), as ``RecordTable.slots`` groups."""
    values, slot = table.slots(key)
    metrics = by_slot(table, slot, len(values) + 1, seed, declared, start=1)
    sizes = np.bincount(slot, minlength=len(values) + 1).tolist()
    return {value: (sizes[index], metrics[index - 1]) for index, value in enumerate(values, start=1)}


def by_slot(table: RecordTable, slot: np.ndarray, slots: int, seed: int, declared: MetricSet,
            start: int = 0) -> list[dict[str, MetricValue]]:
    """``means`` of the rows of each slot ``start`` .. slots - 1 (``slot``: one number per row)."""
    wide = slot.astype(np.intp)
    names = score_names(table, wide, slots)
    declared.check(dict.fromkeys(name for keys in table.score_keys for name in keys), f"{table.benchmark} scores")
    columns = {name: tally(table.score(name), wide, slots) for name in dict.fromkeys(n for s in names for n in s)}
    failed, refused, errors, truncated = failures(table, wide, slots)
    sizes = np.bincount(wide, minlength=slots).tolist()
    out = []
    for index in range(start, slots):
        metrics: dict[str, MetricValue] = {}
        for name in names[index]:
            values, present, ones, others = columns[name]
            if declared[name].kind != "proportion":
                metrics[name] = intervals.summarize(values[wide == index], seed=seed, kind=declared[name].kind)
            elif others[index]:
                raise ValueError(f"{table.benchmark}: {name} is declared a proportion but has values other than 0 and 1")
            else:  # what summarize gives for a proportion, from the counts
                metrics[name] = intervals.proportion(ones[index], present[index])
        metrics["extraction_failure_rate"] = intervals.proportion(failed[index], sizes[index])
        metrics["refusal_rate"] = intervals.proportion(refused[index], sizes[index])
        metrics["error_rate"] = intervals.proportion(errors[index], sizes[index])
        metrics["truncation_rate"] = intervals.proportion(truncated[index], sizes[index])
        out.append(metrics)
    return out


def score_names(table: RecordTable, slot: np.ndarray, slots: int) -> list[dict[str, None]]:
    """Per slot, the score names its rows have (None counts), ordered as they first appear
    walking the rows in id order, then as keyed within that row."""
    kinds = max(len(table.score_keys), 1)
    pairs = slot * kinds + table.key_codes  # (slot, score keys) of each row
    found = np.flatnonzero(np.bincount(pairs, minlength=slots * kinds)).tolist()
    if len({pair // kinds for pair in found}) < len(found):  # some slot has rows keyed in two ways
        found.sort(key=lambda pair: int(np.argmax(pairs == pair)))  # by first row
    names: list[dict[str, None]] = [{} for _ in range(slots)]
    for pair in found:
        names[pair // kinds].update(dict.fromkeys(table.score_keys[pair % kinds]))
    return names


def tally(values: np.ndarray, slot: np.ndarray, slots: int) -> tuple[np.ndarray, list[int], list[int], list[int]]:
    """(values, present values, ones, values neither 0 nor 1) per slot; NaN is not present."""
    present = ~np.isnan(values)
    ones = present & (values == 1.0)
    others = present & (values != 0.0) & ~ones

    def count(mask: np.ndarray) -> list[int]:
        if slots == 1:
            return [int(np.count_nonzero(mask))]
        return np.bincount(slot[mask], minlength=slots).tolist()

    return values, count(present), count(ones), count(others)


def failures(table: RecordTable, slot: np.ndarray, slots: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """Per slot: extraction failures that are neither refusals nor truncations, refusals, errors,
    truncations."""

    def per_slot(codes: np.ndarray, flagged: list[bool]) -> list[int]:
        kinds = len(flagged)
        if kinds == 0:
            return [0] * slots
        counts = np.bincount(slot * kinds + codes, minlength=slots * kinds).reshape(slots, kinds)
        return counts[:, np.array(flagged, dtype=bool)].sum(axis=1).tolist()

    labels = table.labels
    return (per_slot(table.label_codes, [label_failed(label) and label not in (REFUSAL_LABEL, TRUNCATED_LABEL)
                                         for label in labels]),
            per_slot(table.label_codes, [label == REFUSAL_LABEL for label in labels]),
            per_slot(table.error_codes, [bool(error) for error in table.errors]),
            per_slot(table.label_codes, [label == TRUNCATED_LABEL for label in labels]))
