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
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evalsuite.core.safe_files import replacing

SAMPLES = "samples.jsonl"
FSYNC_EVERY = 256


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The record of one journal line; None when it is torn (no newline) or not a JSON object."""
    if not raw.endswith(b"\n"):
        return None  # torn by a kill mid-write
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """(line number, parsed record or None when the line is torn / not JSON)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield number, parse_line(raw)


Key = tuple[str, str, int]
"""(benchmark, id, epoch): one reply to one item; a run with ``--epochs K`` has K per item."""


def key_of(record: dict[str, Any]) -> Key:
    """A journal line's key; lines written before epochs existed are epoch 0."""
    return (record["benchmark"], str(record["id"]), int(record.get("epoch") or 0))


def recover(run_dir: Path) -> set[Key]:
    """Clean the journal for a resume; return the (benchmark, id, epoch) keys already finished.

    Two streaming passes (find the lines to keep, then copy them byte for byte), so memory
    holds the finished keys, never the lines.
    """
    path = run_dir / SAMPLES
    if not path.exists():
        return set()
    done: set[Key] = set()
    drop: set[int] = set()
    for number, record in read_lines(path):
        if record is None or record.get("error") or "benchmark" not in record or "id" not in record:
            drop.add(number)
            continue
        try:
            key = key_of(record)
        except (TypeError, ValueError):  # an epoch that is not a number: not a line we wrote
            drop.add(number)
            continue
        if key in done:
            drop.add(number)
            continue
        done.add(key)
    if drop:
        with path.open("rb") as source, replacing(path) as sink:
            for number, raw in enumerate(source, start=1):
                if number not in drop:
                    sink.write(raw)
    return done


class Journal:
    """Appends lines; ``flush`` per line (survives SIGKILL), ``fsync`` every ``fsync_every`` lines.

    The periodic fsync runs on a helper thread: on a virtual disk one fsync can take 20 ms, and
    holding the event loop that long every 256 samples stalls every request in flight.
    """

    def __init__(self, run_dir: Path, fsync_every: int = FSYNC_EVERY):
        self.path = run_dir / SAMPLES
        self.handle = self.path.open("a", encoding="utf-8")
        self.fsync_every = fsync_every
        self.unsynced = 0
        self._syncer: ThreadPoolExecutor | None = None
        self._pending: Future | None = None

    def append(self, record: dict[str, Any]) -> None:
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.handle.flush()
        self.unsynced += 1
        if self.unsynced >= self.fsync_every and (self._pending is None or self._pending.done()):
            if self._syncer is None:
                self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-fsync")
            self._pending = self._syncer.submit(os.fsync, self.handle.fileno())
            self.unsynced = 0

    def close(self) -> None:
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)
            self._syncer = None
        if not self.handle.closed:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
