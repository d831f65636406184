"""Runs as Inspect logs and back: ``evalsuite export inspect RUN_DIR --out run.eval`` and
``evalsuite import inspect LOG --out RUN_DIR``.

Export writes one Inspect log per benchmark of the run through ``inspect_ai.log.write_eval_log``
(``.eval`` or ``.json`` by the suffix), so ``inspect view`` opens it: task ``evalsuite/<benchmark>``
with the run's seed, limit, epochs and options as task arguments; every journal line as an
``EvalSample`` (epoch + 1, the prompt as chat messages, the reply as the assistant message and
``output`` with its reasoning, usage and stop reason, the scores as the ``evalsuite`` scorer's
``Score`` with the journal line in its metadata, the sample's metadata); the run's metrics as the
``evalsuite`` ``EvalScore`` with directions, kinds and headline in its metadata (Inspect has no
direction of its own); results.json's ``run`` and config.json in the log's ``eval.metadata`` (``evalsuite_run``, ``evalsuite_run_config``).

Import reads a log of an evalsuite task (one written by ``inspect eval evalsuite/<benchmark>`` or by
the export) into a run directory: the journal lines from the scores' metadata (a sample scored
by another scorer is graded again from its output), config.json, and results.json aggregated by
``evalsuite.files.results`` from that journal, as ``evalsuite run`` writes it; so ``report``,
``compare`` and ``gate`` read it like any run.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalsuite.backends.inspect_backend import chat_messages
from evalsuite.core import registry
from evalsuite.core.errors import EvalsuiteError
from evalsuite.core.images import ImageError, text_of
from evalsuite.core.types import GenerationSettings
from evalsuite.files import results
from evalsuite.files.journal import SAMPLES, Journal, read_lines
from evalsuite.integrations.inspect_tasks import RECORD, SCORER, target_text, task_config

STOP_REASONS = {"stop": "stop", "length": "max_tokens", "tool_calls": "tool_calls", "content_filter": "content_filter"}
"""Our records' finish_reason -> Inspect's StopReason (the inverse of inspect_backend.FINISH_REASONS)."""
TASK_PREFIX = "evalsuite/"


class InspectLogError(EvalsuiteError):
    """A log that is not one of an evalsuite task, or a run directory that cannot be exported."""


# -- export ---------------------------------------------------------------------------------
def export_run(run_dir: Path, out: Path) -> list[Path]:
    """One Inspect log per benchmark of the run at ``run_dir``: ``out`` itself when the run has
    one benchmark, else ``<out stem>_<benchmark>.<suffix>`` beside it."""
    run_dir, out = Path(run_dir), Path(out)
    if out.suffix not in (".eval", ".json"):
        raise InspectLogError(f"--out {out}: an Inspect log is a .eval or .json file")
    try:
        data = results.read_json(run_dir / results.RESULTS)
    except FileNotFoundError:
        raise InspectLogError(f"{run_dir}: no {results.RESULTS} (export a finished run)") from None
    config = results.read_json(run_dir / results.CONFIG) if (run_dir / results.CONFIG).exists() else {}
    by_benchmark: dict[str, list[dict[str, Any]]] = {name: [] for name in data["benchmarks"]}
    for _, line in read_lines(run_dir / SAMPLES):
        if line is not None and line.get("benchmark") in by_benchmark:
            by_benchmark[line["benchmark"]].append(line)
    written = []
    for name, lines in by_benchmark.items():
        path = out if len(by_benchmark) == 1 else out.with_name(f"{out.stem}_{name.replace('/', '-')}{out.suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        write_log(eval_log(name, data, config, lines), path)
        written.append(path)
    return written


def write_log(log: Any, path: Path) -> None:
    from inspect_ai.log import write_eval_log

    write_eval_log(log, str(path))


def eval_log(name: str, data: dict[str, Any], config: dict[str, Any], lines: list[dict[str, Any]]) -> Any:
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalLog,
        EvalMetric,
        EvalPlan,
        EvalResults,
        EvalScore,
        EvalSpec,
        EvalStats,
    )
    from inspect_ai.model import GenerateConfig

    run, result = data["run"], data["benchmarks"][name]
    spec = (run.get("benchmarks") or {}).get(name) or {}
    model = str(run.get("model") or "unknown")
    epochs = int(run.get("epochs") or 1)
    generation = spec.get("generation") or {}
    settings = GenerationSettings(**{**generation, "stop": tuple(generation.get("stop") or ())}) if generation \
        else registry.create(name, spec.get("options") or {}).generation
    samples = [eval_sample(line, model) for line in lines]
    ids = list(dict.fromkeys(line["id"] for line in lines))
    metrics = {m: EvalMetric(name=m, value=float(v["value"])) for m, v in result["metrics"].items()
               if v.get("value") is not None}
    score = EvalScore(name=SCORER, scorer=SCORER, metrics=metrics, scored_samples=len(lines),
                      metadata={"benchmark": name, "headline": result.get("headline"),
                                "higher_is_better": result.get("higher_is_better") or {},
                                "kinds": result.get("kinds") or {}, "per_sample": result.get("per_sample") or []})
    created = str(run.get("started") or datetime.now(UTC).isoformat(timespec="seconds"))
    usage = total_usage([s.output.usage for s in samples if s.output.usage is not None])
    task_args = {"seed": run.get("seed", 0), "limit": run.get("limit"), "first": run.get("first"),
                 "epochs": epochs, **(spec.get("options") or {})}
    ident = hashlib.sha256(json.dumps([name, model, created], default=str).encode()).hexdigest()[:22]
    return EvalLog(
        eval=EvalSpec(
            eval_id=ident, run_id=ident, task_id=ident,  # stable: the same run exports to the same ids
            task=TASK_PREFIX + name, task_args=task_args, model=model, created=created,
            dataset=EvalDataset(name=name, samples=len(ids), sample_ids=ids),
            config=EvalConfig(limit=run.get("limit"), epochs=epochs),
            model_generate_config=GenerateConfig(**task_config(settings)),
            metadata={"evalsuite_benchmark": name, "evalsuite_run": run, "evalsuite_run_config": config},
        ),
        status="started" if run.get("partial") else "success",
        plan=EvalPlan(),
        results=EvalResults(total_samples=len(ids) * epochs, completed_samples=len(lines), scores=[score]),
        stats=EvalStats(started_at=created, completed_at=str(run.get("finished") or created),
                        model_usage={model: usage} if usage is not None else {}),
        samples=samples,
    )


def eval_sample(line: dict[str, Any], model: str) -> Any:
    from inspect_ai.log import EvalSample
    from inspect_ai.scorer import Score

    output = model_output(line, model)
    prompt = prompt_messages(line.get("prompt") or [])
    scores = line.get("scores") or {}
    prediction = line.get("prediction")
    answer = prediction if isinstance(prediction, str) or prediction is None else json.dumps(prediction,
                                                                                            ensure_ascii=False)
    score = Score(value={k: v for k, v in scores.items() if v is not None}, answer=answer,
                  explanation=line.get("reason"), metadata={RECORD: line})
    return EvalSample(id=line["id"], epoch=int(line.get("epoch") or 0) + 1, input=prompt,
                      target=target_text(line.get("target")), messages=[*prompt, output.message],
                      output=output, scores={SCORER: score}, metadata=line.get("metadata") or {},
                      model_usage={model: output.usage} if output.usage is not None else {})


def prompt_messages(prompt: list[dict[str, Any]]) -> list[Any]:
    """The prompt as Inspect messages; a picture no longer in this machine's image store is
    shown as its reference text (the journal keeps references, never the bytes)."""
    try:
        return chat_messages(prompt)
    except ImageError:
        return chat_messages([{**m, "content": text_of(m["content"])} for m in prompt])


def model_output(line: dict[str, Any], model: str) -> Any:
    from inspect_ai.model import (
        ChatCompletionChoice,
        ChatMessageAssistant,
        ContentReasoning,
        ContentText,
        ModelOutput,
        ModelUsage,
    )

    content: list[Any] = []
    if line.get("reasoning"):
        content.append(ContentReasoning(reasoning=line["reasoning"]))
    if line.get("response") is not None:
        content.append(ContentText(text=line["response"]))
    usage = line.get("usage") or None
    inspect_usage = None
    if usage:
        prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        inspect_usage = ModelUsage(input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion,
                                   reasoning_tokens=usage.get("reasoning_tokens"))
    stop: Any = STOP_REASONS.get(line.get("finish_reason") or "", "unknown")  # an Inspect StopReason
    message = ChatMessageAssistant(content=content or "", model=model)
    return ModelOutput(model=model, choices=[ChatCompletionChoice(message=message, stop_reason=stop)],
                       usage=inspect_usage, error=line.get("error"), time=line.get("latency_s"))


def total_usage(usages: list[Any]) -> Any:
    from inspect_ai.model import ModelUsage

    if not usages:
        return None
    total = ModelUsage()
    for usage in usages:
        total = total + usage
    return total


# -- import ---------------------------------------------------------------------------------
def import_log(log_path: Path, out: Path, *, overwrite: bool = False) -> Path:
    """A run directory at ``out`` from the Inspect log ``log_path`` of an evalsuite task."""
    from inspect_ai.log import read_eval_log

    log_path, out = Path(log_path), Path(out)
    if not log_path.is_file():
        raise FileNotFoundError(f"{log_path}: no such Inspect log")
    try:
        log = read_eval_log(str(log_path))
    except Exception as exc:  # noqa: BLE001 - a file Inspect cannot read, said plainly
        raise InspectLogError(f"{log_path}: not an Inspect log Inspect can read ({type(exc).__name__}: {exc})") from None
    name = log.eval.task.removeprefix(TASK_PREFIX)
    if not log.eval.task.startswith(TASK_PREFIX) or name not in registry.benchmarks():
        raise InspectLogError(f"{log_path}: task {log.eval.task!r} is not an evalsuite task (evalsuite/<benchmark>)")
    if not log.samples:
        raise InspectLogError(f"{log_path}: the log holds no samples")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InspectLogError(f"{out} exists and is not empty; use another --out, or --overwrite")
    meta = log.eval.metadata or {}
    args = dict(log.eval.task_args or {})
    seed, epochs = int(args.get("seed") or 0), int(args.get("epochs") or 1)
    options = {k: str(v) for k, v in args.items() if k not in ("data", "limit", "first", "seed", "epochs")}
    bench = registry.create(name, options)
    lines = [journal_line(bench, sample, seed, args) for sample in log.samples]
    out.mkdir(parents=True, exist_ok=True)
    (out / SAMPLES).unlink(missing_ok=True)
    journal = Journal(out)
    try:
        for line in lines:
            journal.append(line)
    finally:
        journal.close()
    config = meta.get("evalsuite_run_config") or fingerprint(bench, log, args, seed, epochs, len({ln["id"] for ln in lines}))
    results.write_json(out / results.CONFIG, config)
    summary = results.aggregate(out, {name: bench}, seed, epochs=epochs)
    run = meta.get("evalsuite_run") or results.provenance(
        model=log.eval.model, backend={"backend": "inspect", "model": log.eval.model},
        started=log.eval.created, finished=(log.stats.completed_at if log.stats else None) or log.eval.created,
        seed=seed, limit=args.get("limit"), shard=None, epochs=epochs, benchmarks=config["benchmarks"],
        endpoints=[], data_hashes={name: None},
        requests={"sent_to_model": 0, "from_cache": 0, "skipped_journal": 0, "scored": len(lines),
                  "errors": sum(1 for ln in lines if ln.get("error"))},
        wall_seconds=0.0)
    results.write_json(out / results.RESULTS, {"run": {**run, "imported_from": str(log_path)}, **summary})
    return out


def fingerprint(bench: Any, log: Any, args: dict[str, Any], seed: int, epochs: int, count: int) -> dict[str, Any]:
    from evalsuite.integrations.inspect_tasks import settings_for

    return {
        "model": log.eval.model,
        "backend": {"backend": "inspect", "model": log.eval.model},
        "seed": seed, "limit": args.get("limit"), "shard": None, "epochs": epochs,
        "benchmarks": {bench.name: {**bench.config(), "generation": settings_for(bench, seed).to_dict(),
                                    "data": args.get("data"), "data_hash": None, "samples": count}},
    }


def journal_line(bench: Any, sample: Any, seed: int, args: dict[str, Any]) -> dict[str, Any]:
    """The journal line of one Inspect sample: the one our scorer kept, else graded again from
    the sample's output against the benchmark's own sample of that id."""
    score = (sample.scores or {}).get(SCORER)
    if score is not None and score.metadata and isinstance(score.metadata.get(RECORD), dict):
        return dict(score.metadata[RECORD])
    from evalsuite.backends.base import Request
    from evalsuite.backends.inspect_backend import reply_of
    from evalsuite.engine.grading import grade, record_of
    from evalsuite.integrations.inspect_tasks import settings_for

    ours = drawn_samples(bench, seed, args).get(str(sample.id))
    if ours is None:
        raise InspectLogError(f"sample {sample.id!r} is not a sample of {bench.name} with these task arguments")
    reply = reply_of(sample.output)
    prediction, graded = grade(bench, ours, reply)
    messages = Request(bench, ours, settings_for(bench, seed)).messages()
    return record_of(bench, ours, messages, reply, prediction, graded, epoch=sample.epoch - 1).to_dict()


_DRAWN: dict[tuple[str, str], dict[str, Any]] = {}


def drawn_samples(bench: Any, seed: int, args: dict[str, Any]) -> dict[str, Any]:
    from evalsuite.engine import subset

    key = (bench.name, json.dumps([seed, args], sort_keys=True, default=str))
    if key not in _DRAWN:
        data = Path(args["data"]) if args.get("data") else None
        _DRAWN[key] = {s.id: s for s in subset.select(bench, data, seed, limit=args.get("limit"),
                                                       first=args.get("first"))}
    return _DRAWN[key]
