"""Which data a benchmark graded, named for people: ``embedded (38 reactions)`` is not
``USPTO-50K test (5,007 reactions)``, and a run must say which it was (results.json ``data``,
the summary, the report's column headers; docs/contracts.md#data-naming)."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COUNT_LIMIT_BYTES = 16 << 20
"""Files up to this size have their rows counted when a run ends (milliseconds for the 2 MB
USPTO-50K test file); larger ones are named without a count rather than read again."""


@dataclass(frozen=True, slots=True)
class DataInfo:
    """``name``: what a person calls the set; ``source``: ``embedded``, ``pulled`` (the data
    cache), ``file`` (``--data``) or ``generated``; ``embedded``: a small teaching set shipped
    with evalsuite, not a published benchmark; ``rows``: items in the whole set where known."""

    name: str
    source: str
    embedded: bool = False
    rows: int | None = None
    unit: str = "rows"
    path: str | None = None

    def label(self) -> str:
        return label_of(self.to_dict())

    def to_dict(self, n: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "source": self.source, "embedded": self.embedded,
                               "rows": self.rows, "unit": self.unit}
        if self.path is not None:
            out["path"] = self.path
        if n is not None:
            out["n"] = n
        return out


def label_of(data: dict[str, Any] | None) -> str:
    """``embedded (38 reactions)``, ``USPTO-50K test (5,007 reactions)``, ``generated``; ``""``
    for a run that recorded no data (written before data naming)."""
    if not data:
        return ""
    name = str(data.get("name") or "")
    rows = data.get("rows")
    if isinstance(rows, int):
        return f"{name} ({rows:,} {data.get('unit') or 'rows'})"
    return name


def count_rows(path: Path) -> int | None:
    """Data rows of a CSV (plain or gzip; header excluded, blank lines skipped); None when the
    file is larger than ``COUNT_LIMIT_BYTES``, unreadable, or not CSV-like."""
    try:
        if path.stat().st_size > COUNT_LIMIT_BYTES or path.suffix.lower() in (".json", ".jsonl", ".xlsx"):
            return None
        with open(path, "rb") as probe:
            magic = probe.read(2)
        raw = gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")
        with io.TextIOWrapper(raw, encoding="utf-8", newline="") as handle:
            rows = sum(1 for row in csv.reader(handle) if any(cell.strip() for cell in row))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return max(rows - 1, 0)


def of_file(path: Path, *, name: str | None = None, source: str = "file", unit: str = "rows",
            rows: int | None = None) -> DataInfo:
    """A file given with ``--data`` (named by its file name) or pulled into the data cache."""
    return DataInfo(name=name or Path(path).name, source=source, embedded=False,
                    rows=rows if rows is not None else count_rows(Path(path)), unit=unit, path=str(path))


def embedded(rows: int, unit: str) -> DataInfo:
    return DataInfo(name="embedded", source="embedded", embedded=True, rows=rows, unit=unit)


GENERATED = DataInfo(name="generated", source="generated")
DEFAULT = DataInfo(name="default data", source="default")
"""A benchmark that does not name its default data (neither embedded nor pulled said)."""
