"""Backends that need no model: ``oracle`` (the gold answer, written as a model would) and
``replay/PATH.jsonl`` (replies produced elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evalsuite.backends.base import Request
from evalsuite.core.errors import BackendError
from evalsuite.core.types import Reply


class OracleBackend:
    model = "oracle"
    cacheable = False
    accepts_images = True  # a replay or the oracle answers by id, whatever the prompt holds

    def identity(self) -> dict[str, Any]:
        return {"backend": "oracle"}

    async def start(self) -> None:
        pass

    async def generate(self, request: Request) -> Reply:
        return Reply(text=request.benchmark.oracle_response(request.sample))

    async def close(self) -> None:
        pass


class ReplayBackend:
    """Lines ``{"id", "response"}`` or ``{"id", "prediction"}``, optionally with ``"benchmark"``
    when ids repeat across benchmarks."""

    cacheable = False
    accepts_images = True  # a replay or the oracle answers by id, whatever the prompt holds

    def __init__(self, path: str):
        self.path = Path(path)
        self.model = f"replay/{path}"
        self.by_key: dict[tuple[str | None, str], dict[str, Any]] = {}

    def identity(self) -> dict[str, Any]:
        return {"backend": "replay", "path": str(self.path)}

    async def start(self) -> None:
        if not self.path.is_file():
            raise BackendError(f"replay file not found: {self.path}")
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    # exc.msg alone can end in a dangling "at" ("Invalid control character at").
                    problem = exc.msg.removesuffix(" at")
                    raise BackendError(f"{self.path}:{number}: not valid JSON ({problem} at column {exc.colno})") from None
                if not isinstance(row, dict) or "id" not in row:
                    raise BackendError(f"{self.path}:{number}: a replay line needs an \"id\"")
                if "response" not in row and "prediction" not in row:
                    raise BackendError(f"{self.path}:{number}: a replay line needs \"response\" or \"prediction\"")
                self.by_key[(row.get("benchmark"), str(row["id"]))] = row

    async def generate(self, request: Request) -> Reply:
        sample_id = request.sample.id
        row = self.by_key.get((request.benchmark.name, sample_id)) or self.by_key.get((None, sample_id))
        if row is None:
            return Reply(text=None, error=f"replay file has no line for id {sample_id!r}")
        if "prediction" in row and row["prediction"] is not None:
            return Reply(text=row.get("response"), prediction=row["prediction"])
        response = row.get("response")
        return Reply(text=response if isinstance(response, str) else None)

    async def close(self) -> None:
        pass
