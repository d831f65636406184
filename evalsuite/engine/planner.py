"""Sample planning: every benchmark's samples generated, counted and hashed once, handed to the
event loop in batches while the first requests already go out."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pickle
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from evalsuite.core.types import Sample
from evalsuite.engine.rundir import sample_digest_text

if TYPE_CHECKING:
    from evalsuite.core.benchmark import Benchmark


def prompt_order(batch: list[Sample]) -> list[Sample]:
    """``batch`` sorted by prompt text: samples that share a prefix (a system prompt, a few-shot
    block, an exemplar) become neighbours, so a server's prefix cache still holds it when the
    next one is sent. Sorting is the order of a walk through the prompts' prefix tree, which
    makes the shared prefix of neighbours as long as any order can."""
    return sorted(batch, key=lambda s: [(m.get("role", ""), str(m.get("content", ""))) for m in s.messages])


class PlannedLike(Protocol):
    bench: Benchmark
    data: Path | None
    count: int | None
    data_hash: str | None


class PlanSource(Protocol):
    """What the planner needs of a runner: the planned benchmarks and their sample streams."""

    @property
    def planned(self) -> Mapping[str, Any]: ...

    def samples_of(self, bench: Benchmark, data: Path | None) -> Iterator[Sample]: ...


class SamplePlanner:
    """Generates, counts and hashes every benchmark's samples once, and hands them to the event
    loop in batches through an unlinked temporary file (memory stays flat however far
    generation runs ahead of the requests; reading back is 20-50x cheaper than generating).

    A resume plans inline (``plan_now``) before the run: the count and data hash must be
    compared with the run directory's. A fresh run has nothing to compare with, so it plans on
    a thread (``start``) while the first requests already go out; batches start small and
    double, so that the first requests leave at once and the slots never wait for a big batch.
    """

    FIRST_BATCH = 16
    BATCH = 512
    YIELD_EVERY_S = 0.0005

    def __init__(self, runner: PlanSource):
        self.runner = runner
        fd, path = tempfile.mkstemp(prefix="evalsuite-samples-")
        self.writer = os.fdopen(fd, "wb")
        self.reader = open(path, "rb")
        os.unlink(path)
        self.written = 0  # batches flushed by the thread; the loop reads only that many
        self.read = 0
        self.finished = False
        self.inline = False  # planned before the run (plan_now), not during it
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.go = threading.Event()  # cleared by ``hold``: the thread parks at its next sample
        self.go.set()
        self.parked = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.wakeup: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._work, name="evalsuite-planner", daemon=True)

    def plan_now(self) -> None:
        self.inline = True
        self._work()
        if self.error is not None:
            raise self.error

    def start(self) -> None:
        """Plan on a thread (from inside the event loop), unless planning already ran."""
        self.loop = asyncio.get_running_loop()
        self.wakeup = asyncio.Event()
        if not self.finished:
            self.thread.start()

    def _work(self) -> None:
        next_yield = 0.0
        try:
            for name, planned in self.runner.planned.items():
                count, digest, batch, size = 0, hashlib.sha256(), [], self.FIRST_BATCH
                for sample in self.runner.samples_of(planned.bench, planned.data):
                    if self.stop.is_set():
                        return
                    if not self.go.is_set():
                        self.parked.set()
                        self.go.wait()
                        self.parked.clear()
                    if not self.inline and time.perf_counter() >= next_yield:
                        # Hand the GIL to the event loop if it waits: otherwise each of its turns
                        # waits out the 5 ms switch interval and requests leave a few per 100 ms.
                        time.sleep(0)
                        next_yield = time.perf_counter() + self.YIELD_EVERY_S
                    count += 1
                    digest.update(sample_digest_text(sample))
                    batch.append(sample)
                    if len(batch) >= size:
                        self._emit(name, batch)
                        batch, size = [], min(self.BATCH, size * 2)
                if batch:
                    self._emit(name, batch)
                planned.count, planned.data_hash = count, digest.hexdigest()[:16]
        except BaseException as exc:  # noqa: BLE001 - re-raised where the samples are consumed
            self.error = exc
        finally:
            self.finished = True
            self._notify()
        # Nothing heavy is imported on this thread: a first import of numpy here while the main
        # thread imported it too left it half-initialised (the runner imports it while this
        # thread is parked: ``hold``).

    def _emit(self, name: str, batch: list[Sample]) -> None:
        # Fields, not Sample objects: reading back costs the same either way (Sample pickles as
        # its constructor call), but writing tuples is three times faster than a __reduce__ call
        # per object (8 vs 25 ms for the 5,007 USPTO samples), and this thread shares the GIL.
        rows = [(s.id, s.messages, s.target, s.metadata) for s in batch]
        pickle.dump((name, rows), self.writer, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.flush()
        self.written += 1
        self._notify()

    def _notify(self) -> None:
        if self.loop is not None and self.wakeup is not None:
            try:
                self.loop.call_soon_threadsafe(self.wakeup.set)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass

    async def batches(self) -> AsyncIterator[tuple[str, list[Sample]]]:
        assert self.wakeup is not None, "start() first"
        while True:
            if self.read < self.written:
                self.read += 1
                name, rows = pickle.load(self.reader)  # our own unlinked file, written above: trusted
                yield name, [Sample(*row) for row in rows]
                continue
            if self.finished:
                if self.read < self.written:
                    continue
                if self.error is not None:
                    raise self.error
                return
            self.wakeup.clear()
            if self.read == self.written and not self.finished:
                await self.wakeup.wait()

    async def passes(self, count: int) -> AsyncIterator[tuple[int, str, list[Sample]]]:
        """(pass, benchmark, batch): every sample ``count`` times over, pass by pass (``--epochs``).

        The first pass is ``batches``; each later one reads the spilled batches back from the
        start of the file, which is much cheaper than generating the samples again.
        """
        async for name, batch in self.batches():
            yield 0, name, batch
        for number in range(1, count):
            self.reader.seek(0)
            for _ in range(self.written):
                name, rows = pickle.load(self.reader)  # our own unlinked file: trusted
                yield number, name, [Sample(*row) for row in rows]
                await asyncio.sleep(0)

    def pause(self) -> None:
        """Ask the planning thread to park at its next sample (``hold`` waits until it has)."""
        self.go.clear()

    async def hold(self) -> None:
        """Park the planning thread between two samples (return at once when it is not running).

        While it is parked no code but the event loop's runs in Python: the runner imports numpy
        then (``Runner.warm``), since two threads importing it for the first time at once can
        leave it half-initialised ("cannot load module more than once per process")."""
        self.pause()
        while self.thread.is_alive() and not self.parked.is_set() and not self.finished:
            await asyncio.sleep(0.001)

    def resume(self) -> None:
        self.go.set()

    def close(self) -> None:
        self.stop.set()
        self.go.set()  # a parked thread sees ``stop`` and ends
        if self.thread.is_alive():
            self.thread.join()
        self.writer.close()
        self.reader.close()
