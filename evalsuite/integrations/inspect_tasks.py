"""evalsuite benchmarks as inspect_ai tasks: ``inspect eval evalsuite/<benchmark> --model <inspect model>``.

Inspect imports this module through the ``inspect_ai`` entry point named ``evalsuite`` (pyproject),
when a task name starts with ``evalsuite/`` (inspect_ai/_util/entrypoints.py ``ensure_entry_points``);
importing it registers one task per registered benchmark, named as the benchmark
(``evalsuite/tail/lcs``, ``evalsuite/crystal-stability``, ...). Task parameters (``-T``): ``data``,
``limit``, ``first``, ``seed``, ``epochs``, and any other name as a benchmark option (``--set``).

- Dataset: the samples ``evalsuite run`` would draw with those parameters: same ids, the messages
  sent (the benchmark's system prompt in front, image parts as ``ContentImage`` data URLs), the
  target as text, the sample's metadata.
- Config: the benchmark's generation settings as ``GenerateConfig`` (``task_config``); the solver
  generates once per epoch with the seed + epoch, as ``evalsuite run`` does.
- Scorer ``evalsuite``: grades ``state.output`` with ``evalsuite.engine.grading`` (``grade`` and
  ``record_of``, what ``evalsuite run`` journals), returning a ``Score`` whose value holds the
  per-sample values that are set, ``answer`` the extracted prediction, ``explanation`` our reason,
  and ``metadata["evalsuite_record"]`` the journal line itself.
- Metric ``evalsuite_metrics``: the benchmark's own ``aggregate`` over those records (every
  declared metric, per-sample means and aggregate-only ones such as crystal F1 and DAF alike, and
  with ``epochs`` > 1 avg@K, pass@k, maj@K as ``evalsuite run --epochs K`` computes them); it sees
  the unreduced scores. Inspect has no metric direction, so the scorer's metadata (copied into
  every ``EvalScore.metadata``) carries ``higher_is_better``, ``kinds`` and ``headline``.
- Epochs: ``epochs`` K > 1 gives ``Epochs(K, ["mean", "pass_at_K"])`` with a ``headline`` metric
  over the reduced scores: Inspect's own per-item reductions, equal to our avg@K and pass@K of
  the headline (Inspect's ``pass_at`` is the same Chen et al. estimator).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.dataset import Sample as InspectSample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Metric, SampleScore, Score, Target, metric, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from evalsuite.backends.base import Request
from evalsuite.backends.inspect_backend import chat_messages, reply_of
from evalsuite.core import registry
from evalsuite.core.benchmark import Benchmark
from evalsuite.core.types import BenchmarkResult, GenerationSettings, Sample
from evalsuite.engine.grading import grade, record_of

PACKAGE = "evalsuite"
SCORER = "evalsuite"
RECORD = "evalsuite_record"
TASK_PARAMS = ("data", "limit", "first", "seed", "epochs")


def target_text(target: Any) -> str:
    return target if isinstance(target, str) else json.dumps(target, ensure_ascii=False, sort_keys=True)


def task_config(settings: GenerationSettings) -> dict[str, Any]:
    """GenerateConfig fields of a benchmark's settings. The provider is chosen only at ``inspect
    eval`` time, so ``top_k`` goes in Inspect's own field and ``min_p`` / extra fields in
    ``extra_body`` (docs/contracts.md#inspect-ai: what a provider does with them is its own)."""
    config: dict[str, Any] = {"temperature": settings.temperature, "max_tokens": settings.max_tokens}
    if settings.stop:
        config["stop_seqs"] = list(settings.stop)
    for name in ("seed", "top_p", "top_k", "presence_penalty", "frequency_penalty", "reasoning_effort"):
        if getattr(settings, name) is not None:
            config[name] = getattr(settings, name)
    extra = dict(settings.extra_body)
    if settings.min_p is not None:
        extra["min_p"] = settings.min_p
    if extra:
        config["extra_body"] = extra
    return config


def settings_for(bench: Benchmark, seed: int) -> GenerationSettings:
    """The settings ``evalsuite run --seed SEED`` sends: --seed is the generation seed too."""
    from dataclasses import replace

    settings = bench.generation
    return replace(settings, seed=seed) if settings.seed is not None else settings


def metric_names(bench: Benchmark, epochs: int) -> list[str]:
    """Every name the aggregate can report, for the direction table (declared names, their
    ``_flexible`` variants and, with epochs, the repeated-sampling names)."""
    from evalsuite.stats.repeated import ks_for, maj_name, pass_name

    spec = bench.metric_set()
    names = [*spec, *(f"{n}_flexible" for n in spec)]
    if epochs > 1:
        for name in spec:
            names += [pass_name(name, bench.headline, k) for k in ks_for(epochs)]
            names.append(maj_name(name, bench.headline, epochs))
        names.append("consistency")
    return [n for n in dict.fromkeys(names) if spec.get(n) is not None]


def declarations(bench: Benchmark, epochs: int) -> dict[str, Any]:
    """What Inspect cannot hold itself: directions (None: descriptive), kinds, headline."""
    spec = bench.metric_set()
    names = metric_names(bench, epochs)
    return {"benchmark": bench.name, "headline": bench.headline,
            "higher_is_better": {n: spec.get(n).higher_is_better for n in names},
            "kinds": {n: spec.get(n).kind for n in names},
            "per_sample": [m.name for m in spec.per_sample]}


@cache
def benchmark_of(name: str, options_json: str) -> Benchmark:
    return registry.create(name, json.loads(options_json))


def aggregate_records(bench: Benchmark, records: list[dict[str, Any]], seed: int, epochs: int) -> BenchmarkResult:
    """The benchmark's results from journal lines, exactly as ``files.results.aggregate`` reads a
    journal (one column table per epoch, first line per (id, epoch) wins)."""
    from evalsuite.core.record_table import TableBuilder
    from evalsuite.files.results import declared

    if epochs > 1:
        from evalsuite.stats import repeated

        builders = [TableBuilder(bench.name, repeated.reads_of(bench)) for _ in range(epochs)]
        for line in records:
            epoch = line.get("epoch") or 0
            if 0 <= epoch < epochs:
                builders[epoch].add_line(line)
        return declared(bench, repeated.combine(bench, [b.finish(dedupe=True) for b in builders], seed))
    builder = TableBuilder(bench.name, bench.reads)
    for line in records:
        builder.add_line(line)
    return declared(bench, bench.aggregate(builder.finish(dedupe=True), seed))


@metric(scores="unreduced")
def evalsuite_metrics(benchmark: str, options: dict[str, str], seed: int = 0, epochs: int = 1) -> Metric:
    """Every metric of the benchmark, computed by its own aggregate over the graded records."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        bench = benchmark_of(benchmark, json.dumps(options, sort_keys=True))
        records = [s.score.metadata[RECORD] for s in scores if s.score.metadata and RECORD in s.score.metadata]
        result = aggregate_records(bench, records, seed, epochs)
        return {name: float(m.value) for name, m in result.metrics.items() if m.value is not None}

    return compute


@metric
def headline(name: str) -> Metric:
    """The mean of one per-sample value over the epoch-reduced scores (with reducer ``mean``:
    avg@K; with ``pass_at_K``: pass@K)."""

    def compute(scores: list[SampleScore]) -> float:
        values = [float(s.score.value[name]) for s in scores
                  if isinstance(s.score.value, dict) and s.score.value.get(name) is not None]
        return sum(values) / len(values) if values else float("nan")

    return compute


@solver
def generate_per_epoch(seed: int | None) -> Solver:
    """``generate()``, with epoch e (1-based in Inspect) sent with seed + e - 1 as ``evalsuite run
    --epochs`` sends it: Inspect itself sends every epoch with the task's one seed, so a server
    that honours seeds would give K identical replies."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if seed is None:
            return await generate(state, tool_calls="none")
        return await generate(state, tool_calls="none", seed=seed + state.epoch - 1)

    return solve


def evalsuite_scorer(bench: Benchmark, samples: dict[str, Sample], settings: GenerationSettings,
                     options: dict[str, str], seed: int, epochs: int) -> Any:
    metrics: list[Any] = [evalsuite_metrics(bench.name, options, seed, epochs)]
    if epochs > 1:
        metrics.append(headline(bench.headline))

    @scorer(metrics=metrics, name=SCORER, **declarations(bench, epochs))
    def evalsuite() -> Any:
        async def score(state: TaskState, target: Target) -> Score:
            sample = samples[str(state.sample_id)]
            reply = reply_of(state.output)
            prediction, graded = grade(bench, sample, reply)
            messages = Request(bench, sample, settings).messages()
            record = record_of(bench, sample, messages, reply, prediction, graded, epoch=state.epoch - 1)
            answer = prediction.value if isinstance(prediction.value, str) or prediction.value is None \
                else json.dumps(prediction.value, ensure_ascii=False)
            return Score(value={k: v for k, v in graded.values.items() if v is not None}, answer=answer,
                         explanation=graded.reason or prediction.failure, metadata={RECORD: record.to_dict()})

        return score

    return evalsuite()


def build_task(benchmark: str, *, data: str | None = None, limit: int | None = None, first: int | None = None,
               seed: int = 0, epochs: int = 1, **options: Any) -> Task:
    """The Inspect task of one benchmark (what ``inspect eval evalsuite/<benchmark>`` runs)."""
    from evalsuite.engine import subset

    options = {k: v if isinstance(v, str) else json.dumps(v) for k, v in options.items()}
    bench = registry.create(benchmark, options)
    settings = settings_for(bench, seed)
    drawn = list(subset.select(bench, Path(data) if data else None, seed, limit=limit, first=first))
    by_id = {sample.id: sample for sample in drawn}
    dataset = MemoryDataset(
        [InspectSample(input=chat_messages(Request(bench, s, settings).messages()), target=target_text(s.target),
                       id=s.id, metadata=dict(s.metadata)) for s in drawn],
        name=benchmark,
    )
    reducers = Epochs(epochs, ["mean", f"pass_at_{epochs}"]) if epochs > 1 else None
    return Task(
        dataset=dataset,
        solver=generate_per_epoch(settings.seed),
        scorer=evalsuite_scorer(bench, by_id, settings, options, seed, epochs),
        config=GenerateConfig(**task_config(settings)),
        epochs=reducers,
        metadata={"evalsuite_benchmark": benchmark, "evalsuite_options": options, "evalsuite_config": bench.config(),
                  "seed": seed, "limit": limit, "first": first, "data": data, "epochs": epochs},
    )


def task_factory(benchmark: str) -> Any:
    def evalsuite_task(data: str | None = None, limit: int | None = None, first: int | None = None, seed: int = 0,
                       epochs: int = 1, **options: Any) -> Task:
        return build_task(benchmark, data=data, limit=limit, first=first, seed=seed, epochs=epochs, **options)

    evalsuite_task.__module__ = __name__  # the registry namespaces a task by its module's package
    evalsuite_task.__qualname__ = evalsuite_task.__name__ = "task_" + benchmark.replace("/", "_").replace("-", "_")
    return evalsuite_task


def register_all() -> list[str]:
    """One task per registered benchmark (not per family: a family has no single dataset), named
    ``evalsuite/<benchmark>``. Inspect prefixes the package name only where it finds evalsuite
    installed (site-packages, or an editable install with PEP 610 ``direct_url.json``:
    inspect_ai/_util/package.py ``get_installed_package_name``); run from a checkout whose
    ``evalsuite.egg-info`` shadows the install it does not, so the prefix is then given."""
    from inspect_ai._util.registry import registry_info

    names = sorted(registry.benchmarks())
    for name in names:
        registered = task(name=name)(task_factory(name))
        if not registry_info(registered).name.startswith(f"{PACKAGE}/"):
            task(name=f"{PACKAGE}/{name}")(task_factory(name))
    return names


TASKS = register_all()
