"""Reply cache: SQLite, keyed by a hash of everything that determines a reply.

Key = sha256 of (backend identity (kind, model, base URL), messages, generation settings,
sample epoch). WAL mode and a busy timeout make it safe for several processes (shards) at
once; writes are batched into one transaction per ``flush_every`` replies, since a commit per
reply would cap throughput at the disk's fsync rate.

A row holds the reply text and, in ``extra`` (JSON, null for a plain text reply), what else the
server sent: reasoning, usage, finish reason, latency and attempts of the request that produced
it, and whether the content was null. A cached reply is graded and accounted like a fresh one.

A cache file that SQLite cannot read (corrupted, truncated, not a database) is a one-line
``CacheError`` naming the file and the way on (``--no-cache``, or delete the file to rebuild it),
at open or mid-run; a full disk while writing it is one line too. Text that cannot be UTF-8 (a
lone surrogate) is stored with U+FFFD in its place.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalsuite.core.cache_dir import cache_root
from evalsuite.core.errors import RunError
from evalsuite.core.types import Reply

FLUSH_EVERY = 64
EXTRA_FIELDS = ("reasoning", "usage", "finish_reason", "latency_s", "attempts")
SURROGATE = re.compile("[\ud800-\udfff]")


class CacheError(RunError):
    """The reply cache cannot be read or written."""


@contextlib.contextmanager
def cache_errors(path: Path) -> Iterator[None]:
    """SQLite's errors on ``path`` as one line with the way on."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if "full" in str(exc).lower():
            raise CacheError(f"the disk holding the reply cache {path} is full ({exc}); free space, or run "
                             "with --no-cache (finished samples are kept; run the same command to resume)") from None
        raise CacheError(f"the reply cache {path} is unreadable ({exc}); run with --no-cache, or delete the file "
                         "to rebuild it") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise CacheError(f"the disk holding the reply cache {path} is full; free space, or run with --no-cache "
                             "(finished samples are kept; run the same command to resume)") from None
        raise


def default_cache_path() -> Path:
    return cache_root() / "replies.sqlite"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def key_of_parts(identity_json: str, messages_json: str, settings_json: str, epoch: int) -> str:
    """The cache key from its parts, each already in canonical JSON (the runner serialises the
    backend identity and settings once per run, not once per sample).

    The text hashed is exactly ``canonical_json({"backend", "epoch", "messages", "settings"})``.
    """
    payload = (f'{{"backend":{identity_json},"epoch":{int(epoch)},"messages":{messages_json},'
               f'"settings":{settings_json}}}')
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ReplyCache:
    def __init__(self, path: Path, flush_every: int = FLUSH_EVERY):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with cache_errors(path):
            self.db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, text TEXT NOT NULL, "
                            "created REAL NOT NULL, extra TEXT)")
            self.add_extra_column()
        self.pending: dict[str, tuple[str, float, str | None]] = {}
        self.flush_every = flush_every

    def add_extra_column(self) -> None:
        """A cache written before replies had extras gains the column; its rows stay valid."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(replies)")}
        if "extra" not in columns:
            try:
                self.db.execute("ALTER TABLE replies ADD COLUMN extra TEXT")
            except sqlite3.OperationalError:  # another process (a shard) added it first
                pass

    def get(self, key: str) -> Reply | None:
        pending = self.pending.get(key)
        if pending is not None:
            return reply_of_row(pending[0], pending[2])
        with cache_errors(self.path):
            row = self.db.execute("SELECT text, extra FROM replies WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return reply_of_row(row[0], row[1])
        return None

    def put(self, key: str, reply: Reply) -> None:
        extra = {name: getattr(reply, name) for name in EXTRA_FIELDS if getattr(reply, name) is not None}
        if reply.text is None:
            extra["null_content"] = True
        text, extra_json = reply.text or "", canonical_json(extra) if extra else None
        if SURROGATE.search(text) or (extra_json and SURROGATE.search(extra_json)):
            text = SURROGATE.sub("\ufffd", text)
            extra_json = SURROGATE.sub("\ufffd", extra_json) if extra_json else None
        self.pending[key] = (text, time.time(), extra_json)
        if len(self.pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        rows = [(key, text, created, extra) for key, (text, created, extra) in self.pending.items()]
        self.pending = {}
        with cache_errors(self.path):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.executemany("INSERT OR REPLACE INTO replies (key, text, created, extra) VALUES (?, ?, ?, ?)",
                                    rows)
                self.db.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.db.close()


def reply_of_row(text: str, extra_json: str | None) -> Reply:
    reply = Reply(text=text, cached=True)
    if extra_json:
        try:
            extra = json.loads(extra_json)
        except (ValueError, RecursionError):
            extra = {}
        if not isinstance(extra, dict):
            extra = {}
        if extra.pop("null_content", False):
            reply.text = None
        for name in EXTRA_FIELDS:
            if name in extra:
                setattr(reply, name, extra[name])
    return reply
