"""The run directory's journal: ``samples.jsonl``, one line per finished sample.

Each line is written and flushed as soon as its sample is scored, so a killed process loses
at most the sample in flight (the OS keeps flushed bytes even on SIGKILL); fsync runs every
``fsync_every`` lines and at close, for power loss. On resume, a torn last line, duplicate ids
and samples that got no reply (backend error) are dropped, the file is rewritten atomically,
and only the rest count as done.

A line that cannot be ours (not JSON, nested deeper than any record, a field of the wrong type,
a score that is NaN or infinite, an epoch that is not a small integer) never crashes a resume: it
is dropped with its line number reported on stderr, and its sample is requested again. The
journal is opened without following a symbolic link (``O_NOFOLLOW``): a planted
``samples.jsonl`` link is refused, never written through. A line that cannot be UTF-8 (a lone
surrogate in an error text) is written with U+FFFD in its place.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evalsuite.core.errors import RunError
from evalsuite.core.safe_files import replacing

SAMPLES = "samples.jsonl"
FSYNC_EVERY = 256
MAX_EPOCH = 1 << 20
SURROGATE = re.compile("[\ud800-\udfff]")


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The record of one journal line; None when it is torn (no newline) or not a JSON object."""
    if not raw.endswith(b"\n"):
        return None  # torn by a kill mid-write
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the decoder goes
        return None
    return record if isinstance(record, dict) else None


def problem_of(record: dict[str, Any]) -> str | None:
    """Why a parsed line is not a sample record this code wrote, or None when it may be one."""
    if not isinstance(record.get("benchmark"), str):
        return "no benchmark name"
    if type(record.get("id")) not in (str, int):
        return "no id"
    epoch = record.get("epoch")
    if epoch is not None and not (type(epoch) is int and 0 <= epoch < MAX_EPOCH):
        return "epoch is not a small integer"
    scores = record.get("scores")
    if scores is not None and not isinstance(scores, dict):
        return "scores is not an object"
    for name, value in (scores or {}).items():
        if value is not None and (type(value) not in (int, float, bool) or not math.isfinite(value)):
            return f"score {name!r} is not a finite number"
    for name in ("metadata", "usage"):
        if record.get(name) is not None and not isinstance(record[name], dict):
            return f"{name} is not an object"
    for name, value in (record.get("usage") or {}).items():
        if not is_count(value):
            return f"usage {name!r} is not a token count"
    latency = record.get("latency_s")
    if latency is not None and (type(latency) not in (int, float) or not math.isfinite(latency)):
        return "latency_s is not a finite number"
    return None


MAX_COUNT = 10**12


def is_count(value: Any) -> bool:
    """A non-negative integer of sane size (not a boolean): what a token count can be."""
    return type(value) is int and 0 <= value <= MAX_COUNT


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


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


def recover(run_dir: Path, report: Callable[[str], None] = warn) -> set[Key]:
    """Clean the journal for a resume; return the (benchmark, id, epoch) keys already finished.

    Two streaming passes (find the lines to keep, then copy them byte for byte), so memory
    holds the finished keys, never the lines. A line that is not a record (``problem_of``) is
    dropped and ``report``ed with its number; its sample is then requested again.
    """
    path = run_dir / SAMPLES
    if path.is_symlink():
        raise RunError(f"{path} is a symbolic link; refusing to read or write through it (remove it)")
    if not path.exists():
        return set()
    done: set[Key] = set()
    drop: set[int] = set()
    last, last_whole = 0, True
    with path.open("rb") as handle:
        for last, raw in enumerate(handle, start=1):  # noqa: B007 - the last line's number and shape
            last_whole = raw.endswith(b"\n")
    for number, record in read_lines(path):
        if record is None and (number != last or last_whole):  # a torn last line is a kill's, not news
            report(f"{path} line {number} skipped (not a JSON object); its sample is requested again")
        if record is None or record.get("error"):
            drop.add(number)
            continue
        problem = problem_of(record)
        if problem is not None:
            report(f"{path} line {number} skipped ({problem}); its sample is requested again")
            drop.add(number)
            continue
        key = key_of(record)
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
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        except OSError:
            if self.path.is_symlink():
                raise RunError(f"{self.path} is a symbolic link; refusing to write through it (remove it)") from None
            raise
        self.handle = os.fdopen(fd, "a", encoding="utf-8")
        self.fsync_every = fsync_every
        self.unsynced = 0
        self._syncer: ThreadPoolExecutor | None = None
        self._pending: Future | None = None

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        if SURROGATE.search(line):  # not writable as UTF-8; only an unsanitised error text can hold one
            line = SURROGATE.sub("\ufffd", line)
        self.handle.write(line)
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
