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
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalsuite.backends import Backend, Request, create_backend, unsupported_settings
from evalsuite.core import registry
from evalsuite.core.benchmark import Benchmark
from evalsuite.core.errors import BenchmarkError, RunError
from evalsuite.core.types import GenerationSettings, Prediction, Sample, Score
from evalsuite.engine import subset
from evalsuite.engine.cache import ReplyCache, canonical_json, default_cache_path, key_of_parts
from evalsuite.engine.checks import validate_config
from evalsuite.engine.grade_pool import RunGrader
from evalsuite.engine.grading import grade, record_of
from evalsuite.engine.model_config import overrides_for
from evalsuite.engine.pipeline import PIPELINE_DEPTH, Job, Turns, make_progress
from evalsuite.engine.planner import SamplePlanner, prompt_order
from evalsuite.engine.rundir import in_shard, lock_run_dir, prepare_out_dir, sample_digest_text
from evalsuite.files import results
from evalsuite.files.accounting import Prices
from evalsuite.files.journal import Journal, Key
from evalsuite.files.tables import JournalTables


@dataclass
class RunConfig:
    model: str
    benchmarks: list[str]
    out: Path
    data: dict[str, Path] = field(default_factory=dict)
    limit: int | None = None
    first: int | None = None
    seed: int = 0
    options: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    base_urls: list[str] = field(default_factory=list)
    max_concurrency: int = 8
    timeout_s: float | None = None
    """Seconds per request; None: follows each request's token limit (openai_compat.default_timeout)."""
    max_retries: int = 8
    retry_base_delay_s: float = 0.5
    cache_path: Path | None = None
    use_cache: bool = True
    overwrite: bool = False
    shard: tuple[int, int] | None = None
    model_args: str | None = None
    progress: bool = True
    max_error_rate: float = 0.1
    """Above this share of samples without a reply the run is not trusted (``checks.py``)."""
    epochs: int = 1
    """Replies per item (``--epochs K``): epoch e is sent with the generation seed + e."""
    n_sampling: bool = True
    """Consecutive epochs of an item go as one request with ``n`` (backends with ``n_sampling``):
    it carries the seed of its first epoch, choice i is that epoch + i (docs/contracts.md#epochs)."""
    prefix_order: bool = True
    """Send an item's epochs together and items sharing a prompt prefix next to each other (a
    server's prefix cache then holds them); False: pass by pass in generated order."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra HTTP headers; values are never written (only names enter the backend identity)."""
    max_tokens_param: str = "max_tokens"
    max_reply_bytes: int | None = None
    """Largest reply body taken from an HTTP server (None: ``openai_compat.MAX_REPLY_BYTES``)."""
    prices: Prices | None = None
    grade_workers: int | None = None  # None: the machine's cores; 0: grade in process
    grade_timeout_s: float = 30.0
    per_benchmark: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Model-config overrides per benchmark / family / glob (``model_config.overrides_for``)."""
    judge: Any = None
    """``evalsuite.engine.judge.JudgeConfig``: a judge model grades the benchmarks that declare one."""


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
        self.first_error: str | None = None
        self.probe: asyncio.Future | None = None
        self.settings_json: dict[int, str] = {}  # id(GenerationSettings) -> its canonical JSON
        self.grader = RunGrader(0, config.grade_timeout_s)
        self.n_refused: str | None = None  # why the server's answer to n turned n sampling off
        self.warming: asyncio.Future | None = None
        self.fresh = False  # the journal was empty when this invocation began
        self.live: JournalTables | None = None
        """A fresh run's aggregation tables, fed as records are journaled (``warm``)."""
        self.group: asyncio.TaskGroup | None = None
        self.versions: threading.Thread | None = None
        self.first_wave = False  # the first max_concurrency requests are prepared

    # -- planning -------------------------------------------------------------------------
    def plan(self) -> None:
        """Resolve benchmarks, options, settings and data; no sample is generated yet."""
        cfg = self.config
        validate_config(cfg)
        names = registry.expand(cfg.benchmarks)
        if not names:
            raise RunError("no benchmark selected")
        options = registry.split_options(cfg.options, names)
        unknown = set(cfg.data) - set(names) - {"*"}
        if unknown:
            raise RunError(f"--data names benchmarks that are not selected: {', '.join(sorted(unknown))}")
        if cfg.epochs < 1:
            raise RunError(f"--epochs must be at least 1, got {cfg.epochs}")
        for name in names:
            bench = registry.create(name, options[name])
            settings = bench.generation.with_overrides(overrides_for(name, cfg.overrides, cfg.per_benchmark))
            if settings.seed is not None and cfg.overrides.get("seed") is None:
                settings = replace(settings, seed=cfg.seed)  # --seed is the generation seed too
            data = cfg.data.get(name, cfg.data.get("*"))
            if data is not None and not data.exists():
                raise RunError(f"--data {data}: no such file")
            self.planned[name] = Planned(bench, settings, data)
        cold = sorted(name for name, p in self.planned.items() if not p.settings.temperature)
        if cfg.epochs > 1 and cold:
            print(f"evalsuite: warning: --epochs {cfg.epochs} at temperature 0 ({', '.join(cold)}): the replies "
                  "will probably be identical; set --temperature for independent samples", file=sys.stderr)

    def check_modalities(self) -> None:
        """A backend that cannot take pictures is refused before anything is sent, rather than
        sent the text with the pictures silently dropped."""
        assert self.backend is not None
        for name, planned in self.planned.items():
            wants = getattr(planned.bench, "input_modalities", lambda: ("text",))()
            if "image" in wants and not getattr(self.backend, "accepts_images", False):
                raise RunError(f"{self.config.model} cannot take images, and {name} sends its structures as pictures "
                               "(missing capability: image input); use an openai/ vision model, replay or oracle")

    def samples_of(self, bench: Benchmark, data: Path | None) -> Iterator[Sample]:
        for sample in subset.select(bench, data, self.config.seed, limit=self.config.limit, first=self.config.first):
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
            **({"first": cfg.first} if cfg.first is not None else {}),  # absent: old run directories still resume
            "shard": list(cfg.shard) if cfg.shard else None,
            "epochs": cfg.epochs,
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

    def refuse_unsupported(self) -> None:
        """A setting the backend cannot apply stops the run before any request: never dropped."""
        assert self.backend is not None
        for name, planned in self.planned.items():
            missing = unsupported_settings(self.backend, planned.settings)
            if missing:
                raise RunError(f"{self.backend.model} cannot apply {', '.join(missing)} (set for {name}); "
                               "leave them out for this backend")

    # -- running --------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Evaluate and write results.json, holding the run directory's lock throughout (a second
        run into the same ``--out`` is refused while this one runs)."""
        with lock_run_dir(self.config.out):
            return self.run_locked()

    def run_locked(self) -> dict[str, Any]:
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
            headers=cfg.headers,
            max_tokens_param=cfg.max_tokens_param,
            **({"max_reply_bytes": cfg.max_reply_bytes} if cfg.max_reply_bytes else {}),
        )
        self.check_modalities()
        self.refuse_unsupported()
        self.planner = SamplePlanner(self)
        try:
            if (cfg.out / results.CONFIG).exists() and not cfg.overwrite:
                self.planner.plan_now()  # a resume compares the samples' count and hash first
            done = prepare_out_dir(cfg.out, self.fingerprint(), overwrite=cfg.overwrite)
            started = datetime.now(UTC).isoformat(timespec="seconds")
            t0 = time.perf_counter()
            asyncio.run(self.evaluate(done))
            elapsed = time.perf_counter() - t0
        finally:
            self.planner.close()
        summary = results.aggregate(cfg.out, {n: p.bench for n, p in self.planned.items()}, cfg.seed,
                                    epochs=cfg.epochs, prices=cfg.prices,
                                    data={n: p.data for n, p in self.planned.items()}, fed=self.live)
        if self.versions is not None:
            self.versions.join()
        # a rerun of a finished run keeps the first completion's provenance; this one's timing is appended
        timing = results.carried_provenance(cfg.out, {
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(elapsed, 3),
            "requests": {
                "sent_to_model": self.counters.requested,
                "from_cache": self.counters.cached,
                "skipped_journal": self.counters.skipped,
                "scored": self.counters.scored,
                "errors": self.counters.errors,
            },
        })
        summary["accounting"]["wall_seconds"] = timing["wall_seconds"]
        if cfg.judge is not None:
            from evalsuite.engine.judge import judge_run

            judge_run(cfg.judge, cfg.out, {n: p.bench for n, p in self.planned.items()}, summary)
        run_info = results.provenance(
            model=cfg.model,
            backend=self.backend.identity(),
            started=timing["started"],
            finished=timing["finished"],
            seed=cfg.seed,
            limit=cfg.limit,
            **({"first": cfg.first} if cfg.first is not None else {}),
            shard=list(cfg.shard) if cfg.shard else None,
            epochs=cfg.epochs,
            benchmarks=self.fingerprint()["benchmarks"],
            endpoints=results.merged_endpoints(cfg.out, self.backend),
            data_hashes={n: p.data_hash for n, p in self.planned.items()},
            requests=timing["requests"],
            wall_seconds=timing["wall_seconds"],
            sessions=timing["sessions"],
            prices=cfg.prices.to_dict() if cfg.prices else None,
        )
        data = {"run": run_info, **summary}
        results.write_json(cfg.out / results.RESULTS, data)
        return data

    async def evaluate(self, done: set[Key]) -> None:
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
        self.fresh = not done and self.journal.path.stat().st_size == 0
        self.grader = RunGrader(cfg.grade_workers, cfg.grade_timeout_s,
                                warm=[n for n, p in self.planned.items() if getattr(p.bench, "grade_cost", "") == "heavy"])
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
                self.group = group
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
            self.grader.close()
            self.journal.close()
            if self.cache is not None:
                self.cache.close()
            await self.backend.close()

    async def prepare_jobs(self, done: set[Key], ready: asyncio.Queue, replied: asyncio.Queue,
                           room: asyncio.Semaphore, bar: Any) -> None:
        """(sample, epochs) in run order -> jobs: skipped when journaled, graded at once when
        cached, otherwise queued for a request worker; an item's consecutive uncached epochs
        as one ``n``-request where the backend takes ``n`` (``together``)."""
        assert self.planner is not None
        turns = Turns()
        # An n-request holds a room slot per epoch until all are journaled: never more than there are.
        widest = min(MAX_CHOICES, PIPELINE_DEPTH * max(1, self.config.max_concurrency))
        async for name, sample, epochs in self.sample_stream(self.planner, bar):
            planned, asked = self.planned[name], list[Job]()
            for epoch in epochs:
                if (name, sample.id, epoch) in done:
                    self.counters.skipped += 1
                    bar.update(1)
                    ready_jobs(ready, asked)
                    continue
                await room.acquire()
                job = self.job_for(planned, sample, epoch)
                if job.reply is not None:
                    replied.put_nowait(job)
                    ready_jobs(ready, asked)  # a cached epoch breaks the run of consecutive seeds
                    continue
                asked.append(job)
                if len(asked) >= (widest if self.sends_together() else 1):
                    ready_jobs(ready, asked)
            ready_jobs(ready, asked)
            if self.warming is None and self.group is not None and not self.first_wave \
                    and ready.qsize() + self.counters.requested >= self.config.max_concurrency:
                self.first_wave = True  # its requests get the CPU: planning waits, then ``warm``
                self.planner.pause()
                self.group.create_task(self.warm(after_turns=WAVE_LEAVES_TURNS))
            await turns.after_job()

    def sends_together(self) -> bool:
        return (self.config.n_sampling and self.config.epochs > 1 and self.n_refused is None
                and getattr(self.backend, "n_sampling", False))

    def job_for(self, planned: Planned, sample: Sample, epoch: int = 0) -> Job:
        request = Request(planned.bench, sample, planned.settings, epoch)
        job = Job(request, request.messages())
        if self.cache is not None:
            settings_json = self.settings_json.get(id(request.settings))
            if settings_json is None:
                settings_json = self.settings_json[id(request.settings)] = canonical_json(request.settings.to_dict())
            job.key = key_of_parts(self.identity_json, canonical_json(job.messages), settings_json, request.epoch)
            job.reply = self.cache.get(job.key)
            if job.reply is not None:
                self.counters.cached += 1
        return job

    async def request_worker(self, ready: asyncio.Queue, replied: asyncio.Queue) -> None:
        """One request slot: send, hand the reply on, take the next prepared job at once."""
        assert self.backend is not None
        while (job := await ready.get()) is not None:
            await self.probed()
            if job.together is not None:
                await self.send_together(job, replied)
                continue
            self.counters.requested += 1
            job.reply = await self.backend.generate(job.request)
            replied.put_nowait(job)

    async def send_together(self, job: Job, replied: asyncio.Queue) -> None:
        """One ``n``-request for several epochs; each choice goes on as its epoch's job. A server
        that refuses ``n`` (4xx) or answers fewer choices turns n sampling off for the rest of the
        run, with one warning, and the epochs left unanswered are sent one by one."""
        assert self.backend is not None and job.together is not None
        parts, left = job.together, list(job.together)
        if self.n_refused is None:
            self.counters.requested += 1
            reply = await self.backend.generate(job.request)
            refused = reply.error is not None and reply.error.startswith("HTTP 4")
            if reply.error is not None and not refused:  # retries spent: every epoch shares the failure
                for part in parts:
                    part.reply = replace(reply, choices=None)
                    replied.put_nowait(part)
                return
            choices = [] if refused else (reply.choices or [reply])
            for part, choice in zip(parts, choices, strict=False):
                part.reply = replace(choice, latency_s=reply.latency_s, attempts=reply.attempts, choices=None)
                replied.put_nowait(part)
            left = parts[len(choices):]
            if left and self.n_refused is None:
                self.n_refused = reply.error if refused else f"{len(choices)} choices came back for n={len(parts)}"
                print(f"evalsuite: warning: the server does not honour n ({self.n_refused}); each epoch goes as "
                      "its own request from now on (--no-n-sampling skips the attempt)", file=sys.stderr)
        for part in left:
            self.counters.requested += 1
            part.reply = await self.backend.generate(part.request)
            replied.put_nowait(part)

    async def probed(self) -> None:
        """The backend's start-up check, once, before the first request (not when every
        reply is journaled or cached: a finished run resumes without its server)."""
        if self.probe is None:
            check = getattr(self.backend, "probe", None)
            self.probe = asyncio.ensure_future(check() if check is not None else asyncio.sleep(0))
        await self.probe

    async def grade_jobs(self, replied: asyncio.Queue, room: asyncio.Semaphore, bar: Any) -> None:
        """Light graders in process, one job after another; heavy ones (RDKit) in the grade pool,
        many at a time, each journaled when its grade comes back."""
        turns = Turns()
        pooled: set[asyncio.Task] = set()
        while (job := await replied.get()) is not None:
            await self.warm()
            if self.grader.pooled(job.request.benchmark):
                task = asyncio.create_task(self.finish_pooled(job, room, bar))
                pooled.add(task)
                task.add_done_callback(pooled.discard)
                continue
            self.finish(job, bar)
            room.release()
            await turns.after_job()
        await asyncio.gather(*pooled)

    async def finish_pooled(self, job: Job, room: asyncio.Semaphore, bar: Any) -> None:
        try:
            assert job.reply is not None
            graded = await self.grader.grade(job.request.benchmark, job.request.sample, job.reply)
            self.finish(job, bar, graded)
        finally:
            room.release()

    async def warm(self, after_turns: int = 0) -> None:
        """What the end of the run needs, done once while the first requests are out: numpy
        (imported with the planning thread parked: ``SamplePlanner.hold``), the package versions
        of results.json (read on a thread), and a fresh run's live aggregation tables. Started once
        the first ``max_concurrency`` requests are prepared (``after_turns`` loop turns later, so
        that they are on the wire before the loop is held; the planning thread pauses from then
        on, so that they leave without sharing the interpreter with it) or by the first reply to
        grade, whichever comes first: nothing is graded before it, so no grader imports numpy
        while the planner might."""
        if self.warming is None:
            for _ in range(after_turns):
                await asyncio.sleep(0)
            if self.warming is None:
                self.warming = asyncio.ensure_future(self.warm_once())
        await self.warming

    async def warm_once(self) -> None:
        assert self.planner is not None
        try:
            if "numpy" not in sys.modules:
                await self.planner.hold()
                import numpy  # noqa: F401
            if self.fresh:
                self.live = results.journal_tables({n: p.bench for n, p in self.planned.items()}, self.config.epochs)
        finally:
            self.planner.resume()  # paused for the first wave (prepare_jobs) or held above
        # Reading package metadata is file-system work: on a thread it fills the loop's waits.
        self.versions = threading.Thread(target=results.package_versions, name="evalsuite-versions", daemon=True)
        self.versions.start()

    def sampled(self) -> bool:
        return all(p.count is not None for p in self.planned.values())

    def total(self) -> int | None:
        if not self.sampled():
            return None
        return sum(p.count or 0 for p in self.planned.values()) * self.config.epochs

    async def sample_stream(self, planner: SamplePlanner,
                            bar: Any) -> AsyncIterator[tuple[str, Sample, range]]:
        """(benchmark, sample, epochs) in run order. Prefix order (the default): each sample with
        all its epochs, the samples of a planner batch sorted by prompt so that shared prefixes
        (system prompt, few-shot block, exemplar) follow each other; a run stopped early then
        holds whole items. Generated order: every sample of epoch 0, then of epoch 1 ...
        When planning ends during the run, config.json is completed and the bar gets its total."""
        # Planned before the run (a resume): config.json and the total are already complete.
        # Not self.sampled(): a fast thread may finish before this loop starts.
        finalized = planner.inline
        if self.config.prefix_order:
            every = range(self.config.epochs)
            async for name, batch in planner.batches():
                if planner.finished and planner.error is None and not finalized:
                    finalized = self.planning_done(bar)
                for sample in prompt_order(batch):
                    yield name, sample, every
        else:
            async for epoch, name, batch in planner.passes(self.config.epochs):
                if planner.finished and planner.error is None and not finalized:
                    finalized = self.planning_done(bar)
                for sample in batch:
                    yield name, sample, range(epoch, epoch + 1)
        if not finalized:
            self.planning_done(bar)

    def planning_done(self, bar: Any) -> bool:
        results.write_json(self.config.out / results.CONFIG, self.fingerprint())
        bar.total = self.total()
        bar.refresh()
        return True

    def finish(self, job: Job, bar: Any, graded: tuple[Prediction, Score] | None = None) -> None:
        """Cache the new reply, grade it (unless the pool did), journal the record, count it."""
        bench, sample, reply = job.request.benchmark, job.request.sample, job.reply
        assert reply is not None and self.journal is not None
        if self.cache is not None and job.key is not None and not reply.cached and reply.error is None \
                and (reply.text is not None or reply.reasoning is not None) and reply.prediction is None:
            self.cache.put(job.key, reply)
        prediction, score = graded or grade(bench, sample, reply)
        record = record_of(bench, sample, job.messages, reply, prediction, score, epoch=job.request.epoch).to_dict()
        self.journal.append(record)
        if self.live is not None:
            self.live.add(record)
        self.counters.scored += 1
        if reply.error is not None:
            self.counters.errors += 1
            self.first_error = self.first_error or reply.error
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


WAVE_LEAVES_TURNS = 4
"""Loop turns after the first ``max_concurrency`` sends before ``Runner.warm`` holds the loop: a
new connection is connected in one turn and its request written in the next (a fixed 10 ms
started the warm-up 30 ms late on a busy loop, and a 100 ms server's first replies waited)."""

MAX_CHOICES = 16
"""The most epochs one ``n``-request asks for; more epochs go as several such requests."""


def ready_jobs(ready: asyncio.Queue, asked: list[Job]) -> None:
    """Queue the jobs of consecutive epochs gathered so far (one n-request for several) and empty ``asked``."""
    if len(asked) == 1:
        ready.put_nowait(asked[0])
    elif asked:
        first = asked[0]
        ready.put_nowait(Job(replace(first.request, n=len(asked)), first.messages, together=list(asked)))
    asked.clear()


__all__ = ["BenchmarkError", "RunConfig", "RunError", "Runner", "in_shard", "sample_digest_text"]
