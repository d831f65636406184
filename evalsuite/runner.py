"""One evaluation run: samples -> (journal | cache | backend) -> extract -> score -> journal -> results.

The path of one sample: the benchmark generates it (``SamplePlanner``); ``prepare_jobs`` skips
it when the journal has it, else builds its request and looks the reply up in the cache; a
``request_worker`` (``max_concurrency`` of them) asks the backend when it is not cached;
``finish`` lets the benchmark extract and score the reply (``grade``) and appends the record to
``samples.jsonl``. When every sample is done, ``results.aggregate`` turns the journal into
metrics and ``results.json`` is written with the run's provenance.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import pickle
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evalsuite import registry, results
from evalsuite.backends import Backend, Request, create_backend
from evalsuite.benchmark import Benchmark, BenchmarkError
from evalsuite.cache import ReplyCache, canonical_json, default_cache_path, key_of_parts
from evalsuite.journal import SAMPLES, Journal, recover
from evalsuite.types import GenerationSettings, Prediction, Reply, Sample, Score


class RunError(Exception):
    """The run cannot start or continue (bad configuration, mismatched run directory)."""


@dataclass
class RunConfig:
    model: str
    benchmarks: list[str]
    out: Path
    data: dict[str, Path] = field(default_factory=dict)
    limit: int | None = None
    seed: int = 0
    options: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    base_urls: list[str] = field(default_factory=list)
    max_concurrency: int = 8
    timeout_s: float = 120.0
    max_retries: int = 8
    retry_base_delay_s: float = 0.5
    cache_path: Path | None = None
    use_cache: bool = True
    overwrite: bool = False
    shard: tuple[int, int] | None = None
    model_args: str | None = None
    progress: bool = True


@dataclass
class Counters:
    requested: int = 0
    cached: int = 0
    skipped: int = 0
    scored: int = 0
    errors: int = 0


@dataclass
class Planned:
    """A benchmark ready to run: its instance, settings, data and the fingerprint of its samples."""

    bench: Benchmark
    settings: GenerationSettings
    data: Path | None
    count: int | None = None  # None until planning has seen every sample
    data_hash: str | None = None


@dataclass(slots=True)
class Job:
    """One sample on its way through the run: its request, cache key and, once known, reply."""

    request: Request
    messages: list[dict[str, str]]
    key: str | None = None
    reply: Reply | None = None


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

    def __init__(self, runner: Runner):
        self.runner = runner
        fd, path = tempfile.mkstemp(prefix="evalsuite-samples-")
        self.writer = os.fdopen(fd, "wb")
        self.reader = open(path, "rb")  # noqa: SIM115 - closed in close()
        os.unlink(path)
        self.written = 0  # batches flushed by the thread; the loop reads only that many
        self.read = 0
        self.finished = False
        self.inline = False  # planned before the run (plan_now), not during it
        self.error: BaseException | None = None
        self.stop = threading.Event()
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
        except BaseException as exc:  # re-raised where the samples are consumed
            self.error = exc
        finally:
            self.finished = True
            self._notify()
        if not self.inline and self.error is None and not self.stop.is_set():
            # Aggregation at the end of the run imports numpy (~0.1 s); here it is imported
            # while the last requests are out, off the run's critical path.
            import evalsuite.table_metrics  # noqa: F401

    def _emit(self, name: str, batch: list[Sample]) -> None:
        # Fields, not Sample objects: unpickling a slotted dataclass calls fields() per object,
        # twice the cost of rebuilding it, and reading back happens on the event loop.
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

    def close(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        self.writer.close()
        self.reader.close()


def in_shard(benchmark: str, sample_id: str, shard: tuple[int, int] | None) -> bool:
    """Deterministic 1/N slice by a hash of (benchmark, id): stable across machines and orders."""
    if shard is None:
        return True
    index, total = shard
    digest = hashlib.sha256(f"{benchmark}\x00{sample_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % total == index


def without_sample_fingerprint(fingerprint: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint as written before planning saw the samples (count and hash unknown)."""
    benchmarks = {name: {**spec, "data_hash": None, "samples": None} for name, spec in fingerprint["benchmarks"].items()}
    return {**fingerprint, "benchmarks": benchmarks}


def is_provisional(fingerprint: dict[str, Any]) -> bool:
    return any(spec.get("data_hash") is None for spec in fingerprint.get("benchmarks", {}).values())


def sample_digest_text(sample: Sample) -> bytes:
    """What a sample adds to its benchmark's ``data_hash`` (sha256 over the samples in order)."""
    return json.dumps([sample.id, sample.messages, sample.target], sort_keys=True, ensure_ascii=False,
                      default=str).encode()


def prompt_hash(messages: list[dict[str, str]]) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


class Runner:
    def __init__(self, config: RunConfig, backend: Backend | None = None):
        """``backend``: a ready-made backend (a library caller's own) instead of ``config.model``'s."""
        self.config = config
        self.counters = Counters()
        self.planned: dict[str, Planned] = {}
        self.backend: Backend | None = backend
        self.cache: ReplyCache | None = None
        self.journal: Journal | None = None
        self.planner: SamplePlanner | None = None
        self.running: dict[str, list[float]] = {}
        self.identity_json = ""
        self.settings_json: dict[int, str] = {}  # id(GenerationSettings) -> its canonical JSON

    # -- planning -------------------------------------------------------------------------
    def plan(self) -> None:
        """Resolve benchmarks, options, settings and data; no sample is generated yet."""
        cfg = self.config
        names = registry.expand(cfg.benchmarks)
        if not names:
            raise RunError("no benchmark selected")
        options = registry.split_options(cfg.options, names)
        unknown = set(cfg.data) - set(names) - {"*"}
        if unknown:
            raise RunError(f"--data names benchmarks that are not selected: {', '.join(sorted(unknown))}")
        for name in names:
            bench = registry.create(name, options[name])
            settings = bench.generation.with_overrides(cfg.overrides)
            data = cfg.data.get(name, cfg.data.get("*"))
            if data is not None and not data.exists():
                raise RunError(f"--data {data}: no such file")
            self.planned[name] = Planned(bench, settings, data)

    def samples_of(self, bench: Benchmark, data: Path | None) -> Iterator[Sample]:
        for sample in bench.samples(data, self.config.seed, self.config.limit):
            if in_shard(bench.name, sample.id, self.config.shard):
                yield sample

    def fingerprint(self) -> dict[str, Any]:
        """What must match for a run directory to be resumed."""
        cfg = self.config
        return {
            "model": cfg.model,
            "backend": self.backend.identity() if self.backend is not None else None,
            "seed": cfg.seed,
            "limit": cfg.limit,
            "shard": list(cfg.shard) if cfg.shard else None,
            "benchmarks": {
                name: {
                    **p.bench.config(),
                    "generation": p.settings.to_dict(),
                    "data": str(p.data) if p.data else None,
                    "data_hash": p.data_hash,
                    "samples": p.count,
                }
                for name, p in self.planned.items()
            },
        }

    def prepare_out_dir(self, fingerprint: dict[str, Any]) -> set[tuple[str, str]]:
        out = self.config.out
        config_path = out / results.CONFIG
        if out.exists() and self.config.overwrite:
            for name in (SAMPLES, results.RESULTS, results.CONFIG):
                (out / name).unlink(missing_ok=True)
        out.mkdir(parents=True, exist_ok=True)
        if config_path.exists():
            previous = results.read_json(config_path)
            # A run killed before planning finished never fingerprinted its samples.
            current = without_sample_fingerprint(fingerprint) if is_provisional(previous) else fingerprint
            if previous != current:
                differs = sorted(k for k in set(previous) | set(current) if previous.get(k) != current.get(k))
                raise RunError(
                    f"{out} holds a run with a different configuration (differs in: {', '.join(differs)}); "
                    "use another --out, or --overwrite to discard it"
                )
        elif (out / SAMPLES).exists():
            raise RunError(f"{out} has {SAMPLES} but no {results.CONFIG}; use another --out or --overwrite")
        results.write_json(config_path, fingerprint)
        return recover(out)

    # -- running --------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.plan()
        cfg = self.config
        self.backend = self.backend or create_backend(
            cfg.model,
            base_urls=cfg.base_urls,
            max_concurrency=cfg.max_concurrency,
            timeout_s=cfg.timeout_s,
            max_retries=cfg.max_retries,
            retry_base_delay_s=cfg.retry_base_delay_s,
            model_args=cfg.model_args,
        )
        self.planner = SamplePlanner(self)
        try:
            if (cfg.out / results.CONFIG).exists() and not cfg.overwrite:
                self.planner.plan_now()  # a resume compares the samples' count and hash first
            done = self.prepare_out_dir(self.fingerprint())
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
            t0 = time.perf_counter()
            asyncio.run(self.evaluate(done))
            elapsed = time.perf_counter() - t0
        finally:
            self.planner.close()
        summary = results.aggregate(cfg.out, {n: p.bench for n, p in self.planned.items()}, cfg.seed)
        run_info = results.provenance(
            model=cfg.model,
            backend=self.backend.identity(),
            started=started,
            finished=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            seed=cfg.seed,
            limit=cfg.limit,
            shard=list(cfg.shard) if cfg.shard else None,
            benchmarks=self.fingerprint()["benchmarks"],
            data_hashes={n: p.data_hash for n, p in self.planned.items()},
            requests={
                "sent_to_model": self.counters.requested,
                "from_cache": self.counters.cached,
                "skipped_journal": self.counters.skipped,
                "scored": self.counters.scored,
                "errors": self.counters.errors,
            },
            wall_seconds=round(elapsed, 3),
        )
        data = {"run": run_info, **summary}
        results.write_json(cfg.out / results.RESULTS, data)
        return data

    async def evaluate(self, done: set[tuple[str, str]]) -> None:
        """Three stages on one event loop, so that a freed request slot only has to send.

        ``prepare_jobs`` builds each request and its cache key and looks the reply up ahead of
        time; ``max_concurrency`` request workers take prepared jobs, send them and pass the
        replies on without grading them; ``grade_jobs`` extracts, scores and journals. With a
        slow server the replies of 32 requests land together: when each reply was graded and
        the next request prepared before sending, every such wave waited for 32 of those in a
        row (+20% wall time at 100 ms latency); now preparing and grading fill the wait.
        """
        cfg = self.config
        assert self.backend is not None
        await self.backend.start()
        if cfg.use_cache and self.backend.cacheable:
            self.cache = ReplyCache(cfg.cache_path or default_cache_path())
            self.identity_json = canonical_json(self.backend.identity())
        self.journal = Journal(cfg.out)
        assert self.planner is not None
        bar = make_progress(self.total(), cfg.progress)
        workers = max(1, cfg.max_concurrency)
        ready: asyncio.Queue[Job | None] = asyncio.Queue()
        replied: asyncio.Queue[Job | None] = asyncio.Queue()
        # Bounds the jobs between preparing and journaling: replies waiting for the grader hold
        # text, so a grader slower than the server must slow the preparer, not grow memory.
        room = asyncio.Semaphore(PIPELINE_DEPTH * workers)
        try:
            self.planner.start()
            async with asyncio.TaskGroup() as group:  # one stage failing cancels the others
                grader = group.create_task(self.grade_jobs(replied, room, bar))
                senders = [group.create_task(self.request_worker(ready, replied)) for _ in range(workers)]
                await self.prepare_jobs(done, ready, replied, room, bar)
                for _ in senders:
                    ready.put_nowait(None)
                await asyncio.wait(senders)
                replied.put_nowait(None)
                await grader
        except BaseExceptionGroup as failure:
            # The first failure is the cause (a broken data row, a full disk); the rest, if any,
            # are its echoes. Callers expect the error itself, e.g. a DataError naming the line.
            raise failure.exceptions[0] from None
        finally:
            bar.close()
            self.journal.close()
            if self.cache is not None:
                self.cache.close()
            await self.backend.close()

    async def prepare_jobs(self, done: set[tuple[str, str]], ready: asyncio.Queue, replied: asyncio.Queue,
                           room: asyncio.Semaphore, bar: Any) -> None:
        """Samples in run order -> jobs: skipped when journaled, graded at once when cached,
        otherwise queued for a request worker."""
        assert self.planner is not None
        turns = Turns()
        async for name, sample in self.sample_stream(self.planner, bar):
            if (name, sample.id) in done:
                self.counters.skipped += 1
                bar.update(1)
                continue
            await room.acquire()
            job = self.job_for(self.planned[name], sample)
            (replied if job.reply is not None else ready).put_nowait(job)
            await turns.after_job()

    def job_for(self, planned: Planned, sample: Sample) -> Job:
        request = Request(planned.bench, sample, planned.settings)
        job = Job(request, request.messages())
        if self.cache is not None:
            settings_json = self.settings_json.get(id(request.settings))
            if settings_json is None:
                settings_json = self.settings_json[id(request.settings)] = canonical_json(request.settings.to_dict())
            job.key = key_of_parts(self.identity_json, canonical_json(job.messages), settings_json, request.epoch)
            text = self.cache.get(job.key)
            if text is not None:
                self.counters.cached += 1
                job.reply = Reply(text=text, cached=True)
        return job

    async def request_worker(self, ready: asyncio.Queue, replied: asyncio.Queue) -> None:
        """One request slot: send, hand the reply on, take the next prepared job at once."""
        assert self.backend is not None
        while (job := await ready.get()) is not None:
            self.counters.requested += 1
            job.reply = await self.backend.generate(job.request)
            replied.put_nowait(job)

    async def grade_jobs(self, replied: asyncio.Queue, room: asyncio.Semaphore, bar: Any) -> None:
        turns = Turns()
        while (job := await replied.get()) is not None:
            self.finish(job, bar)
            room.release()
            await turns.after_job()

    def sampled(self) -> bool:
        return all(p.count is not None for p in self.planned.values())

    def total(self) -> int | None:
        return sum(p.count or 0 for p in self.planned.values()) if self.sampled() else None

    async def sample_stream(self, planner: SamplePlanner, bar: Any) -> AsyncIterator[tuple[str, Sample]]:
        """(benchmark, sample) in run order. When planning ends during the run, config.json is
        completed and the progress bar gets its total."""
        # Planned before the run (a resume): config.json and the total are already complete.
        # Not self.sampled(): a fast thread may finish before this loop starts.
        finalized = planner.inline
        async for name, batch in planner.batches():
            if planner.finished and planner.error is None and not finalized:
                finalized = self.planning_done(bar)
            for sample in batch:
                yield name, sample
        if not finalized:
            self.planning_done(bar)

    def planning_done(self, bar: Any) -> bool:
        results.write_json(self.config.out / results.CONFIG, self.fingerprint())
        bar.total = self.total()
        bar.refresh()
        return True

    def finish(self, job: Job, bar: Any) -> None:
        """Cache the new reply, grade it, journal the record, count it."""
        bench, sample, reply = job.request.benchmark, job.request.sample, job.reply
        assert reply is not None and self.journal is not None
        if self.cache is not None and job.key is not None and not reply.cached and reply.error is None \
                and reply.text is not None and reply.prediction is None:
            self.cache.put(job.key, reply.text)
        prediction, score = grade(bench, sample, reply)
        # The fields of SampleRecord, in its order, built directly: dataclasses.asdict deep-copies
        # every nested value, which cost more than extraction and scoring together.
        self.journal.append({
            "benchmark": bench.name,
            "id": sample.id,
            "prompt": job.messages,
            "response": reply.text,
            "prediction": prediction.value,
            "target": sample.target,
            "scores": score.values,
            "extraction": prediction.extraction_label,
            "error": reply.error,
            "reason": score.reason,
            "metadata": sample.metadata,
            "prompt_hash": prompt_hash(job.messages),
            "cached": reply.cached,
        })
        self.counters.scored += 1
        self.counters.errors += reply.error is not None
        headline = score.values.get(bench.headline)
        if headline is not None:
            running = self.running.setdefault(bench.name, [0.0, 0])
            running[0] += headline
            running[1] += 1
        bar.update(1)
        if self.running and bar.n % 10 == 0:
            bar.set_postfix_str(self.running_text(), refresh=False)

    def running_text(self) -> str:
        parts = [f"{name.split('/')[-1]}={total / n:.2f}" for name, (total, n) in self.running.items() if n]
        return " ".join(parts[-3:])


def grade(bench: Benchmark, sample: Sample, reply: Reply) -> tuple[Prediction, Score]:
    """Extract and score; a bug in a benchmark's extractor or scorer fails the sample, not the run."""
    try:
        if reply.error is not None:
            prediction = Prediction.failed(f"no reply: {reply.error}")
        elif reply.prediction is not None:
            prediction = bench.from_structured(reply.prediction, sample)
        else:
            prediction = bench.extract(reply.text, sample)
    except Exception as exc:  # noqa: BLE001 - recorded, never hidden
        prediction = Prediction.failed(f"extractor error: {type(exc).__name__}: {exc}"[:300])
    try:
        score = bench.score(prediction, sample)
    except Exception as exc:  # noqa: BLE001
        score = Score({bench.headline: 0.0}, reason=f"scorer error: {type(exc).__name__}: {exc}"[:300])
    return prediction, score


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


__all__ = ["RunConfig", "RunError", "Runner", "BenchmarkError", "in_shard"]
