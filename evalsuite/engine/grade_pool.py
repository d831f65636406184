"""Grading in worker processes, with a wall-clock cap per item (``--grade-workers``, ``--grade-timeout``).

Why processes: RDKit grading holds the GIL for milliseconds a reply, so threads cannot use a
second core; and a reply that makes a grader run away (or crash the interpreter) must cost only
its own item. Why not ``concurrent.futures.ProcessPoolExecutor``: it can neither stop one stuck
task nor survive a worker's death without failing every pending task. Why not ``signal.alarm``:
it only works on the main thread and cannot break out of C code.

How: one dispatcher thread owns the workers. Items are handed out in chunks, and results come
back in batches (at the end of a chunk, or every ``FLUSH_S`` in a slow one): one pipe round trip
and one dispatcher wake-up per chunk, not per item, which is what lets two workers use two cores
(issue 19: a per-item message cost the parent a tenth of a millisecond, a fifth of a
retrosynthesis grading). So that a cap still applies per item, each worker writes the index and
start time of the item it is on into a few bytes of memory shared with the parent (``Progress``)
before it starts it. An item running past ``timeout_s`` gets its worker killed: that item is
recorded as ``grader timeout`` and the rest of its chunk, results held back included, goes to a
fresh worker. A worker that dies is recorded as ``grader crashed`` the same way. Results come back as
``concurrent.futures.Future`` objects, so threads and event loops (``asyncio.wrap_future``)
can share one pool.

Never blocking the caller (issue 30): a chunk is written to its worker's pipe by that worker's
own writer thread, never by the dispatcher and never under the pool lock (a chunk larger than the
64 KB pipe buffer blocks until the worker reads it, which a busy worker does only after its
current item). A progress read that is not consistent (the worker was preempted mid-write) is
"no news": the last consistent value stands, so machine load cannot make an item look old. An
item that reaches the cap is graded once more, in another worker, before it is scored
``grader timeout``: a cap hit caused by a loaded machine does not repeat, a runaway grader does.
Workers that die before they are ready are restarted with a growing delay; after
``MAX_START_FAILURES`` in a row the pool is unhealthy: ``healthy`` is False, every waiting item
and every later ``submit`` fail with ``GradePoolUnhealthy``. Workers run ``python -P``: the
working directory is not put on ``sys.path``, so a planted ``./evalsuite/`` is never imported.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import queue
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from evalsuite.core.errors import RunError
from evalsuite.core.types import Prediction, Reply, Sample, Score

DEFAULT_TIMEOUT_S = 30.0
# The failure reasons of an item the pool could not grade; evalsuite.rewards maps them to statuses.
TIMEOUT_FAILURE = "grader timeout"
CRASH_FAILURE = "grader crashed"
MAX_CHUNK = 32
FLUSH_S = 0.1  # a slow chunk still resolves its finished items this often
CAP_RETRIES = 1  # a capped item is graded this many more times, in another worker, before it is a timeout
MAX_START_FAILURES = 5  # workers in a row that die before they are ready: the pool is unhealthy
RESPAWN_DELAY_S = 0.1  # doubled for each start failure in a row, up to RESPAWN_DELAY_MAX_S
RESPAWN_DELAY_MAX_S = 5.0
READ_SPINS = 10_000


class GradePoolUnhealthy(RunError):
    """The grade pool cannot keep workers alive (they die while starting)."""


def default_workers() -> int:
    """The machine's cores (those this process may run on)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Item:
    """One reply to grade: the benchmark by registry name and options, the sample, the reply."""

    benchmark: str
    options: Mapping[str, Any]
    sample: Sample
    reply: Reply


Outcome = tuple[Prediction, Score]


def bench_for(name: str, options_json: str) -> Any:
    from evalsuite.core.registry import cached_benchmark

    return cached_benchmark(name, options_json)


def grade_item(item: Item) -> Outcome:
    """What a worker does with one item (also the in-process path)."""
    from evalsuite.core.registry import options_key
    from evalsuite.engine.grading import grade

    return grade(bench_for(item.benchmark, options_key(item.options)), item.sample, item.reply)


def failed_outcome(item: Item, reason: str) -> Outcome:
    from evalsuite.core.registry import options_key

    bench = bench_for(item.benchmark, options_key(item.options))
    return Prediction.failed(reason), Score(bench.metric_set().failure_scores(), reason=reason)


class Progress:
    """The item a worker is on: (index, start on the monotonic clock), in shared memory.

    A seqlock: the writer makes the sequence odd, writes, makes it even; a reader takes a value
    only when the sequence was even and unchanged around its read. CLOCK_MONOTONIC is one clock
    for every process of the machine, so the parent can compare a worker's start with its own now.
    """

    LAYOUT = struct.Struct("<qqd")  # sequence, item index, start

    def __init__(self, fd: int):
        self.fd = fd
        self.memory = mmap.mmap(fd, self.LAYOUT.size)
        self.sequence = 0

    @classmethod
    def create(cls) -> Progress:
        fd = os.memfd_create("evalsuite-grade-progress") if hasattr(os, "memfd_create") else _unlinked_file()
        os.ftruncate(fd, cls.LAYOUT.size)
        progress = cls(fd)
        progress.LAYOUT.pack_into(progress.memory, 0, 0, -1, 0.0)
        return progress

    def start(self, index: int) -> None:
        self.sequence += 1
        struct.pack_into("<q", self.memory, 0, self.sequence)
        struct.pack_into("<qd", self.memory, 8, index, time.monotonic())
        self.sequence += 1
        struct.pack_into("<q", self.memory, 0, self.sequence)

    def read(self, spins: int = READ_SPINS) -> tuple[int, float] | None:
        """The last consistent (index, start), or None when no consistent value was seen in
        ``spins`` tries: a writer preempted mid-write (or killed there) leaves the sequence odd
        and the value half written; that is no news, never a value."""
        for _ in range(spins):
            before, index, started = self.LAYOUT.unpack_from(self.memory, 0)
            if before % 2 == 0 and struct.unpack_from("<q", self.memory, 0)[0] == before:
                return index, started
            time.sleep(0)  # let a preempted writer finish
        return None

    def close(self) -> None:
        self.memory.close()
        os.close(self.fd)


def _unlinked_file() -> int:
    handle = tempfile.TemporaryFile()
    fd = os.dup(handle.fileno())
    handle.close()
    return fd


class Duplex:
    """A worker's two pipe ends as one connection."""

    def __init__(self, reader: Connection, writer: Connection):
        self.reader, self.writer = reader, writer

    def recv(self) -> Any:
        return self.reader.recv()

    def send(self, obj: Any) -> None:
        self.writer.send(obj)


def worker_main(conn: Duplex, progress: Progress, warm: Sequence[str]) -> None:
    """A worker: say ready once the warm-up benchmarks are built, then receive chunks of
    (index, item) and send lists of (index, outcome); None or a closed pipe stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    from evalsuite.core.registry import options_key

    for name in warm:
        try:  # build the benchmark and grade one of its own samples: imports and caches warm
            bench = bench_for(name, options_key({}))
            sample = next(iter(bench.samples(None, 0, 1)), None)
            if sample is not None:
                grade_item(Item(name, {}, sample, Reply(text=bench.oracle_response(sample))))
        except Exception:  # noqa: BLE001 - warming is an optimisation; a real item reports any error
            pass
    conn.send("ready")
    while True:
        try:
            chunk = conn.recv()
        except EOFError:
            return
        if chunk is None:
            return
        done: list[tuple[int, Outcome]] = []
        flushed = time.monotonic()
        for index, item in chunk:
            progress.start(index)  # before the item: the parent's cap counts from here
            done.append((index, grade_item(item)))
            if time.monotonic() - flushed >= FLUSH_S:
                conn.send(done)
                done, flushed = [], time.monotonic()
        if done:
            conn.send(done)


def write_loop(writer: Connection, outbox: queue.SimpleQueue[Any]) -> None:
    """A worker's writer thread: sends what the dispatcher queued, in order; None ends it. A
    write to a dead worker fails (broken pipe); the dispatcher sees the death on the reader.
    None is passed on (it tells the worker to stop) and ends the thread."""
    while True:
        message = outbox.get()
        try:
            writer.send(message)
        except (OSError, ValueError):
            return
        if message is None:
            return


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    reader: Connection
    writer: Connection
    progress: Progress
    chunk: dict[int, Item] = field(default_factory=dict)  # handed out, not yet resolved; in order
    since: float = 0.0  # when it was last handed work while idle, or last sent results
    ready: bool = False  # imports done; items are handed out only then, so caps exclude start-up
    outbox: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    sender: threading.Thread | None = None
    seen: tuple[int, float] = (-1, 0.0)  # the last consistent progress read

    def start_sender(self) -> None:
        self.sender = threading.Thread(target=write_loop, args=(self.writer, self.outbox), name="grade-pool-writer",
                                       daemon=True)
        self.sender.start()

    def send(self, message: Any) -> None:
        """Queue a message for the writer thread: never blocks."""
        self.outbox.put(message)

    @property
    def exit_code(self) -> int | None:
        return self.process.poll()

    def current(self) -> tuple[int, float]:
        """The chunk item it is on and when that started (the first item, from ``since``, while
        the worker has not reached one yet). An inconsistent read keeps the last consistent one."""
        read = self.progress.read()
        if read is not None:
            self.seen = read
        index, started = self.seen
        if index in self.chunk:
            return index, max(started, self.since)
        return next(iter(self.chunk)), self.since


class GradePool:
    def __init__(self, workers: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 warm: Sequence[str] = ()):
        """``warm``: benchmark names each worker builds (imports) before it takes items."""
        if timeout_s <= 0:
            raise ValueError(f"grade timeout must be positive, got {timeout_s}")
        self.size = max(1, workers or default_workers())
        self.timeout_s = timeout_s
        self.warm = list(warm)
        self.lock = threading.Lock()
        self.pending: deque[tuple[int, Item]] = deque()
        self.futures: dict[int, Future[Outcome]] = {}
        self.counter = 0
        self.closed = False
        self.woken = False
        self.wake_r, self.wake_w = multiprocessing.Pipe(duplex=False)
        self.workers: list[Worker] = []
        self.stats = {"timeouts": 0, "crashes": 0, "graded": 0, "retried": 0, "start_failures": 0}
        self.retries: dict[int, int] = {}  # item index -> cap hits so far
        self.respawn_at: list[float] = []  # when to start a worker for each slot waiting for one
        self.start_failures = 0  # workers in a row that died before they were ready
        self.unhealthy: str | None = None
        self.thread = threading.Thread(target=self.dispatch, name="grade-pool", daemon=True)
        self.thread.start()

    # -- public ---------------------------------------------------------------------------
    @property
    def healthy(self) -> bool:
        return self.unhealthy is None and not self.closed

    def submit(self, item: Item) -> Future[Outcome]:
        future: Future[Outcome] = Future()
        with self.lock:
            if self.unhealthy is not None:
                raise GradePoolUnhealthy(self.unhealthy)
            if self.closed:
                raise RuntimeError("grade pool is closed")
            index = self.counter
            self.counter += 1
            self.futures[index] = future
            self.pending.append((index, item))
            if not self.woken:  # one wake-up per dispatcher turn, not one pipe write per item
                self.woken = True
                self.wake_w.send_bytes(b".")  # under the lock: one Connection, many submitting threads
        return future

    def grade(self, items: Sequence[Item]) -> list[Outcome]:
        """Grade items, blocking; results in input order."""
        return [future.result() for future in [self.submit(item) for item in items]]

    def close(self) -> None:
        """Stop the workers; the futures of items not yet graded raise RuntimeError."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
            self.wake_w.send_bytes(b".")
        self.thread.join()
        self.wake_r.close()
        self.wake_w.close()

    def __enter__(self) -> GradePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatcher thread ------------------------------------------------------------------
    def spawn(self) -> Worker:
        """A fresh interpreter (``python -P -m evalsuite.engine.grade_pool``), not a multiprocessing
        child: spawn and forkserver re-run the caller's ``__main__`` in every worker (an unguarded
        script forks without end), and fork from this threaded process can deadlock. ``-P``: the
        working directory is not put first on ``sys.path`` (a planted ``./evalsuite/`` would run
        in every worker, and a checkout's parent folder would shadow the installed package)."""
        parent_r, child_w = os.pipe()
        child_r, parent_w = os.pipe()
        progress = Progress.create()
        command = [sys.executable, "-P", "-m", "evalsuite.engine.grade_pool", str(child_r), str(child_w),
                   str(progress.fd), *self.warm]
        process = subprocess.Popen(command, pass_fds=(child_r, child_w, progress.fd), stdin=subprocess.DEVNULL)
        os.close(child_r)
        os.close(child_w)
        worker = Worker(process, Connection(parent_r, writable=False), Connection(parent_w, readable=False), progress)
        worker.start_sender()
        return worker

    def dispatch(self) -> None:
        try:
            self.workers = [self.spawn() for _ in range(self.size)]
            while True:
                with self.lock:
                    if self.closed:
                        break
                self.respawn_due()
                if self.unhealthy is not None:
                    self.fail_waiting(GradePoolUnhealthy(self.unhealthy))
                self.assign()
                self.wait_once()
        finally:
            self.shutdown()

    def respawn_due(self) -> None:
        now = time.monotonic()
        due = [t for t in self.respawn_at if t <= now]
        if due and self.unhealthy is None:
            self.respawn_at = [t for t in self.respawn_at if t > now]
            self.workers += [self.spawn() for _ in due]

    def assign(self) -> None:
        """Hand chunks to ready workers. Only queues: each worker's writer thread does the pipe
        write, so neither this thread nor a caller waiting for the lock ever waits on a worker."""
        with self.lock:
            live = [w for w in self.workers if w.ready]
            if not self.pending or not live:
                return
            size = max(1, min(MAX_CHUNK, len(self.pending) // len(live)))
            # In a big backlog a busy worker also gets its next chunk ahead, so it never waits a
            # round trip between chunks; in a small one only idle workers get work, so no item
            # queues behind a slow one while another worker is free.
            backlog = len(self.pending) >= MAX_CHUNK * len(live)
            takers = sorted((w for w in live if not w.chunk or (backlog and len(w.chunk) <= size)),
                            key=lambda w: len(w.chunk))
            for worker in takers:
                chunk = [self.pending.popleft() for _ in range(min(size, len(self.pending)))]
                if not chunk:
                    break
                if not worker.chunk:
                    worker.since = time.monotonic()
                worker.chunk.update(chunk)
                worker.send(chunk)

    def wait_once(self) -> None:
        now = time.monotonic()
        busy = [w for w in self.workers if w.chunk]
        # a deadline read early is only an early wake-up: the next turn reads the worker's progress again
        deadlines = [w.current()[1] + self.timeout_s - now for w in busy] + [t - now for t in self.respawn_at]
        timeout = min(deadlines, default=None)
        ready = wait([self.wake_r, *(w.reader for w in self.workers)],
                     timeout=None if timeout is None else max(0.0, timeout))
        if self.wake_r in ready:
            with self.lock:
                while self.wake_r.poll():
                    self.wake_r.recv_bytes()
                self.woken = False
        for worker in list(self.workers):
            self.collect(worker, worker.reader in ready)

    def collect(self, worker: Worker, readable: bool) -> None:
        died = False
        if readable:
            try:
                while worker.reader.poll():
                    message = worker.reader.recv()
                    if message == "ready":
                        worker.ready = True
                        self.start_failures = 0
                        continue
                    worker.since = time.monotonic()
                    for index, outcome in message:
                        del worker.chunk[index]
                        self.stats["graded"] += 1
                        self.retries.pop(index, None)
                        self.resolve(index, outcome)
            except (EOFError, OSError):
                died = True
        overdue = bool(worker.chunk) and time.monotonic() - worker.current()[1] >= self.timeout_s
        if died or overdue:
            self.replace(worker, timed_out=overdue and not died)

    def replace(self, worker: Worker, timed_out: bool) -> None:
        """Fail the worker's current item (if any; a first cap hit requeues it at the front
        instead, for another worker), requeue the rest of its chunk (results it held back
        included: grading is pure, so they are graded again), start a fresh worker."""
        index = worker.current()[0] if worker.chunk else -1  # read before the kill closes its progress
        self.kill(worker)
        if not worker.ready:
            self.start_failed(worker)
            return
        if worker.chunk:
            item = worker.chunk.pop(index)
            if timed_out and self.retries.get(index, 0) < CAP_RETRIES:
                self.retries[index] = self.retries.get(index, 0) + 1
                self.stats["retried"] += 1
                worker.chunk = {index: item, **worker.chunk}
            elif timed_out:
                self.retries.pop(index, None)
                self.stats["timeouts"] += 1
                self.resolve(index, failed_outcome(item, f"{TIMEOUT_FAILURE}: over {self.timeout_s:g} s"))
            else:
                self.retries.pop(index, None)
                self.stats["crashes"] += 1
                self.resolve(index, failed_outcome(item, f"{CRASH_FAILURE}: worker exit code {worker.exit_code}"))
            with self.lock:
                self.pending.extendleft(reversed(worker.chunk.items()))
            worker.chunk.clear()
        self.workers[self.workers.index(worker)] = self.spawn()

    def start_failed(self, worker: Worker) -> None:
        """A worker died before it was ready: start another after a growing delay; after
        ``MAX_START_FAILURES`` in a row, the pool is unhealthy."""
        self.workers.remove(worker)
        self.start_failures += 1
        self.stats["start_failures"] += 1
        if self.start_failures >= MAX_START_FAILURES:
            self.unhealthy = (f"grade workers die while starting ({self.start_failures} in a row, last exit code "
                              f"{worker.exit_code}); see the workers' error output above")
            self.fail_waiting(GradePoolUnhealthy(self.unhealthy))
            return
        delay = min(RESPAWN_DELAY_MAX_S, RESPAWN_DELAY_S * 2 ** (self.start_failures - 1))
        self.respawn_at.append(time.monotonic() + delay)

    def fail_waiting(self, error: Exception) -> None:
        with self.lock:
            left = list(self.futures.values())
            self.futures.clear()
            self.pending.clear()
        for future in left:
            if not future.done():
                future.set_exception(error)

    def resolve(self, index: int, outcome: Outcome) -> None:
        with self.lock:
            future = self.futures.pop(index)
        future.set_result(outcome)

    @staticmethod
    def kill(worker: Worker) -> None:
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait(timeout=10)
        worker.send(None)
        if worker.sender is not None:  # a write in progress ends with a broken pipe now the worker is gone
            worker.sender.join(timeout=10)
        worker.reader.close()
        worker.writer.close()
        worker.progress.close()

    def shutdown(self) -> None:
        for worker in self.workers:
            worker.send(None)  # after any chunk still queued: the worker stops when it reads it
        for worker in self.workers:
            try:
                worker.process.wait(timeout=0 if worker.chunk else 2)
            except subprocess.TimeoutExpired:
                pass
            self.kill(worker)
        with self.lock:
            left = list(self.futures.values())
            self.futures.clear()
            self.pending.clear()
        for future in left:
            future.set_exception(RuntimeError("grade pool closed before the item was graded"))
        self.workers = []


class RunGrader:
    """How ``evalsuite run`` grades: heavy benchmarks in a pool started on first use, light ones
    in process (``run`` calls ``grading.grade`` itself for those)."""

    def __init__(self, workers: int | None, timeout_s: float, warm: Sequence[str] = ()):
        self.workers, self.timeout_s, self.warm = workers, timeout_s, list(warm)
        self.pool: GradePool | None = None

    def pooled(self, bench: Any) -> bool:
        return self.workers != 0 and getattr(bench, "grade_cost", "light") == "heavy" and hasattr(bench, "settings")

    async def grade(self, bench: Any, sample: Sample, reply: Reply) -> Outcome:
        import asyncio

        if self.pool is None:
            self.pool = GradePool(self.workers, self.timeout_s, warm=self.warm)
        return await asyncio.wrap_future(self.pool.submit(Item(bench.name, bench.settings, sample, reply)))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


if __name__ == "__main__":  # a worker: python -m evalsuite.engine.grade_pool READ_FD WRITE_FD PROGRESS_FD [BENCHMARK ...]
    worker_main(Duplex(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)),
                Progress(int(sys.argv[3])), sys.argv[4:])
