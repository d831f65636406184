"""Aggregate-only metrics (F1, DAF, top-k ...) recomputed by the benchmark's own code on resampled
items: what the gate's paired bootstrap draws when a metric has no per-sample score."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from evalsuite.core.errors import GateError
from evalsuite.core.types import SampleRecord
from evalsuite.files.frames import Run

RECOMPUTE_RESAMPLES = 200  # aggregate-only metrics call the benchmark's aggregate per draw


class Recompute:
    """A benchmark's own aggregate, for metrics that exist only at the aggregate level."""

    def __init__(self, bench: Any, metric: str, seed: int):
        self.bench, self.metric, self.seed = bench, metric, seed

    def __call__(self, records: Sequence[SampleRecord]) -> float | None:
        point_values = getattr(self.bench, "point_values", None)  # plug-ins may lack it
        if point_values is not None:
            values = point_values(records, self.seed)
            if self.metric in values:
                return values[self.metric]
        result = self.bench.aggregate(records, self.seed)
        entry = result.metrics.get(self.metric)
        return None if entry is None else entry.value

    def resampler(self, records: Sequence[SampleRecord]) -> Callable[[Any], float | None]:
        """picks (indices into ``records``) -> the metric on those records, with repeats.

        The records become one table (in id order) once; a draw takes its rows from it instead
        of building a table from a list of records for each of the 200 draws.
        """
        import numpy as np

        from evalsuite.core.record_table import RecordTable, encode_id

        table = RecordTable.of(list(records), self.bench.reads)
        ids = np.array([encode_id(r.id) for r in records])
        row_of = np.empty(len(ids), dtype=np.intp)
        row_of[np.argsort(ids, kind="stable")] = np.arange(len(ids))  # the table's own order
        point_rows = getattr(self.bench, "point_rows", None)  # the metric of table rows, prepared once
        if point_rows is not None:
            on_rows = point_rows(table, self.seed)
            if self.metric in on_rows(np.arange(len(table))):
                return lambda picks: on_rows(np.sort(row_of[picks])).get(self.metric)
        return lambda picks: self(table.take(np.sort(row_of[picks])))


def recomputer(run: Run, benchmark: str, metric: str, seed: int) -> Recompute:
    from evalsuite.core import registry

    try:
        bench = registry.create(benchmark, run.config(benchmark).get("options") or {})
    except Exception as exc:  # noqa: BLE001 - any plug-in failure means: cannot recompute
        raise GateError([f"{benchmark}: metric {metric!r} is not a per-sample score and the "
                         f"benchmark cannot be loaded to recompute it ({exc})"]) from None
    return Recompute(bench, metric, seed)
