"""Reply cache: SQLite, keyed by a hash of everything that determines a reply.

Key = sha256 of (backend identity (kind, model, base URL), messages, generation settings,
sample epoch). WAL mode and a busy timeout make it safe for several processes (shards) at
once; writes are batched into one transaction per ``flush_every`` replies, since a commit per
reply would cap throughput at the disk's fsync rate.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

FLUSH_EVERY = 64


def cache_root() -> Path:
    """evalsuite's cache folder: ``$EVALSUITE_CACHE``, else ``$XDG_CACHE_HOME/evalsuite`` or ``~/.cache/evalsuite``."""
    root = os.environ.get("EVALSUITE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "evalsuite"
    )
    return Path(root)


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
        self.db = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, text TEXT NOT NULL, created REAL NOT NULL)")
        self.pending: dict[str, tuple[str, float]] = {}
        self.flush_every = flush_every

    def get(self, key: str) -> str | None:
        pending = self.pending.get(key)
        if pending is not None:
            return pending[0]
        row = self.db.execute("SELECT text FROM replies WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return row[0]
        return None

    def put(self, key: str, text: str) -> None:
        self.pending[key] = (text, time.time())
        if len(self.pending) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        rows = [(key, text, created) for key, (text, created) in self.pending.items()]
        self.pending = {}
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany("INSERT OR REPLACE INTO replies (key, text, created) VALUES (?, ?, ?)", rows)
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.flush()
        self.db.close()
