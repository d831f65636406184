"""The run directory's journal: ``samples.jsonl``, one line per finished sample.

Each line is written and flushed as soon as its sample is scored, so a killed process loses
at most the sample in flight (the OS keeps flushed bytes even on SIGKILL); fsync runs every
``fsync_every`` lines and at close, for power loss. On resume, a torn last line, duplicate ids
and samples that got no reply (backend error) are dropped, the file is rewritten atomically,
and only the rest count as done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SAMPLES = "samples.jsonl"
FSYNC_EVERY = 256


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, parsed record or None when the line is torn / not JSON)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                yield number, None  # torn by a kill mid-write
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                yield number, None
                continue
            yield number, record if isinstance(record, dict) else None


def recover(run_dir: Path) -> set[tuple[str, str]]:
    """Clean the journal for a resume; return the (benchmark, id) pairs already finished."""
    path = run_dir / SAMPLES
    if not path.exists():
        return set()
    done: set[tuple[str, str]] = set()
    keep: list[bytes] = []
    dropped = 0
    for _, record in read_lines(path):
        if record is None or record.get("error") or "benchmark" not in record or "id" not in record:
            dropped += 1
            continue
        key = (record["benchmark"], str(record["id"]))
        if key in done:
            dropped += 1
            continue
        done.add(key)
        keep.append(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
    if dropped:
        tmp = path.with_suffix(".jsonl.tmp")
        with tmp.open("wb") as handle:
            handle.writelines(keep)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    return done


class Journal:
    def __init__(self, run_dir: Path, fsync_every: int = FSYNC_EVERY):
        self.path = run_dir / SAMPLES
        self.handle = self.path.open("a", encoding="utf-8")
        self.fsync_every = fsync_every
        self.unsynced = 0

    def append(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.handle.flush()
        self.unsynced += 1
        if self.unsynced >= self.fsync_every:
            os.fsync(self.handle.fileno())
            self.unsynced = 0

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
