"""The pieces the run's three stages share: a job on its way, the loop-turn budget, progress."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Any

from evalsuite.backends import Request
from evalsuite.core.types import Reply


@dataclass(slots=True)
class Job:
    """One sample on its way through the run: its request, cache key and, once known, reply."""

    request: Request
    messages: list[dict[str, str]]
    key: str | None = None
    reply: Reply | None = None
    together: list[Job] | None = None
    """An ``n``-request's jobs, one per epoch it answers (this job only carries the request)."""


PIPELINE_DEPTH = 4
"""Jobs allowed between preparing and journaling, per request slot."""
STAGE_TURN_S = 0.002


class Turns:
    """Lets a stage (preparing, grading) hold the event loop for ``STAGE_TURN_S`` at most before
    arrived replies may send their next request.

    Yielding after every job kept a 100 ms server's slots busiest, but cost a zero-latency run
    ~10% (each reply then woke the server alone, instead of several together); 2 ms measured
    best for both (bench/throughput.py).
    """

    def __init__(self) -> None:
        self.ends = 0.0

    async def after_job(self) -> None:
        if time.perf_counter() >= self.ends:
            await asyncio.sleep(0)
            self.ends = time.perf_counter() + STAGE_TURN_S


class _NoProgress:
    n = 0
    total: int | None = None

    def update(self, k: int) -> None:
        self.n += k

    def refresh(self) -> None:
        pass

    def set_postfix_str(self, *a: Any, **k: Any) -> None:
        pass

    def close(self) -> None:
        pass


def make_progress(total: int | None, enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, unit="sample", dynamic_ncols=True, file=sys.stderr, mininterval=0.5)
