"""The report's cells and tables: a formatted value with its interval, a run's identity, a
metric table. Shared by the page builder (``view``) and the tables it borrows (``usage``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if isinstance(value, (int, float)):
        if value == int(value) and abs(value) >= 2:
            return f"{int(value):,}"
        return f"{value:.{digits}f}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


@dataclass
class Cell:
    value: float | None
    ci: tuple[float, float] | None
    n: int | None
    note: str = ""
    """Said beside the number: a partial run's share of its planned samples."""

    @property
    def text(self) -> str:
        return fmt(self.value)

    @property
    def degenerate(self) -> bool:
        """A zero-width interval: every bootstrap resample gave the same value."""
        return self.ci is not None and self.ci[0] == self.ci[1]

    @property
    def ci_text(self) -> str:
        if self.ci is None:
            return ""
        if self.degenerate:
            # Not a 95% interval of width 0: every resample gave the same value. Said without "all n
            # samples agree": a metric over a subset (recall over the stable ones, TNR over the
            # unstable ones) can be constant while the samples as a whole are not.
            return "no CI: one sample" if self.n == 1 else "no CI: the same value in every resample"
        return f"[{fmt(self.ci[0])}, {fmt(self.ci[1])}]"

    @property
    def sort(self) -> str:
        return "" if self.value is None else repr(float(self.value))


def cell(entry: Any, n: int | None = None) -> Cell:
    if not isinstance(entry, dict):
        return Cell(as_float(entry), None, n)
    ci = entry.get("ci95")
    ci_pair = (float(ci[0]), float(ci[1])) if isinstance(ci, (list, tuple)) and len(ci) == 2 \
        and None not in ci else None
    return Cell(as_float(entry.get("value")), ci_pair, entry.get("n", n))


def as_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass
class RunView:
    key: str
    model: str
    date: str
    version: str
    seed: str
    path: str
    label: str
    imported: str = ""
    """Where an imported row came from (``lm-eval 0.4.x``); "" for evalsuite's own runs."""
    partial: bool = False
    """An interrupted run read from its journal: its numbers cover the samples it finished."""


@dataclass
class Column:
    benchmark: str
    metric: str
    higher: bool | None
    anchor: str
    fidelity: str = ""
    """A TAIL task's definitions: "paper" (Table C1) or "extended"; "" for other benchmarks."""
    warning: str = ""
    """Set when the runs in this column were graded on different items (``overview.column_warning``)."""
    data: str = ""
    """The data the column's runs graded (``embedded (38 reactions)``; several joined by " / ")."""


@dataclass
class LeaderRow:
    run: RunView
    cells: list[tuple[Cell | None, str]]
    """per leaderboard column: (headline cell, data hash)"""


@dataclass
class MetricTable:
    title: str
    runs: list[RunView]
    rows: list[tuple[str, str, list[Cell | None]]]
    """(label, direction arrow or "", one cell per run)"""
