"""The judge stage: a second model grades the replies of benchmarks that declare a judge protocol.

A benchmark declares one with ``judge_request(sample, content) -> messages``, ``judge_score(judge
reply, sample) -> (verdict, judged value)`` and ``judge_metric`` (ChemBench4K and the Matbench
text tasks: OpenCompass's judge prompts re-stated, ``evalsuite.scorers.opencompass`` for the
verdicts). ``--judge-model`` (with ``--judge-base-url`` and the ``--judge-*`` generation settings)
runs it after the replies are journaled:

- every journaled reply of such a benchmark (its final content, reasoning removed, as
  OpenCompass's ``extract_non_reasoning_content`` leaves it) goes to the judge through the same
  backends (``backends.create_backend``: retries, Retry-After, the probe), the same reply cache
  (keyed by the judge's identity, messages and settings), and concurrency;
- ``judge.jsonl`` in the run directory gets one line per judged reply: the judge's request
  (messages), its raw reply, the verdict, the judged value, the rule-based value, usage; a resumed
  run judges only what is not there yet;
- results.json gets, per benchmark, ``judge``: the judged metric beside the deterministic one on
  the same replies, their agreement (percent, Cohen's kappa; ``evalsuite.stats.agreement``) and
  the disagreements; and, at the top, ``judge_accounting``: the judge's requests, tokens and cost,
  counted apart from the model's, and the agreement over every correct / incorrect judgement of
  the run (all judged benchmarks together).

Agreement: for a correct / incorrect judge, the two 0/1 grades; for a judge that extracts a
number (Matbench regression), whether the judge's number equals the strictly extracted one (a
reply without one agrees with a judge that says 0, OpenCompass's "no answer").
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.backends import Request, create_backend
from evalsuite.core.benchmark import Benchmark
from evalsuite.core.reasoning import split_think
from evalsuite.core.types import GenerationSettings, Reply, Sample
from evalsuite.engine.cache import ReplyCache, canonical_json, default_cache_path, key_of_parts
from evalsuite.files.accounting import PER_MILLION, Prices
from evalsuite.files.journal import SAMPLES, key_of, read_lines
from evalsuite.stats.agreement import agreement

JUDGE_FILE = "judge.jsonl"
JUDGE_SETTINGS = GenerationSettings(temperature=0.0, max_tokens=8192)
"""OpenCompass's judge for Intern-S1: temperature 0.001, max_out_len 8192
(docs/en/user_guides/interns1.md); 0 here, the nearest deterministic setting."""
MAX_DISAGREEMENTS = 200  # listed in results.json; the count is always complete


@dataclass(frozen=True)
class JudgeConfig:
    model: str
    base_urls: list[str] = field(default_factory=list)
    settings: GenerationSettings = JUDGE_SETTINGS
    max_concurrency: int = 8
    max_retries: int = 8
    timeout_s: float | None = None
    prices: Prices | None = None
    use_cache: bool = True
    cache_path: Path | None = None


def judge_metric_of(bench: Benchmark) -> str:
    """The benchmark's judged metric name (``judge_accuracy``, ``judge_abs_error``)."""
    return str(getattr(bench, "judge_metric", ""))


def declares_judge(bench: Benchmark) -> bool:
    return all(hasattr(bench, name) for name in ("judge_request", "judge_score", "judge_metric"))


def content_of(record: dict[str, Any]) -> str:
    """The reply's final content (the journal already holds it without reasoning)."""
    text = record.get("response") or ""
    return split_think(text)[0] if "<think>" in text.lower() else text


def sample_of(record: dict[str, Any]) -> Sample:
    return Sample(id=str(record["id"]), messages=record.get("prompt") or [], target=record.get("target"),
                  metadata=record.get("metadata") or {})


def judged_keys(path: Path, model: str) -> dict[tuple[str, str, int], dict[str, Any]]:
    """The lines of ``judge.jsonl`` that judge ``model`` wrote without error (the last per reply):
    a resume with another judge judges again rather than reusing another model's verdicts."""
    found: dict[tuple[str, str, int], dict[str, Any]] = {}
    if path.exists():
        for _, line in read_lines(path):
            if line is not None and not line.get("error") and line.get("judge_model") == model:
                found[key_of(line)] = line
    return found


def journaled(run_dir: Path, names: set[str]) -> list[dict[str, Any]]:
    """The last journal line of each (benchmark, id, epoch) of the judged benchmarks."""
    latest: dict[tuple[str, str, int], dict[str, Any]] = {}
    for _, record in read_lines(run_dir / SAMPLES):
        if record is not None and record.get("benchmark") in names:
            latest[key_of(record)] = record
    return [latest[key] for key in sorted(latest)]


def judge_run(config: JudgeConfig, run_dir: Path, benches: dict[str, Benchmark], summary: dict[str, Any]) -> None:
    """Judge what is not judged yet, then put the judged metrics and agreement in ``summary``."""
    judged = {name: bench for name, bench in benches.items() if declares_judge(bench)}
    if not judged:
        summary["judge_accounting"] = {"model": config.model, "note": "no selected benchmark declares a judge"}
        return
    path = run_dir / JUDGE_FILE
    done = judged_keys(path, config.model)
    todo = [r for r in journaled(run_dir, set(judged)) if key_of(r) not in done and not r.get("error")]
    if todo:
        asyncio.run(send(config, judged, todo, path))
    lines = judged_keys(path, config.model)
    tally = {"requests": 0, "from_cache": 0, "prompt_tokens": 0, "completion_tokens": 0}
    pairs: list[tuple[float, float]] = []
    for name, bench in judged.items():
        mine = [line for key, line in sorted(lines.items()) if key[0] == name]
        if not judge_metric_of(bench).endswith("abs_error"):
            pairs += [(float(line.get("rule") or 0.0), float(line["judged"])) for line in mine
                      if line.get("judged") is not None]
        for line in mine:
            usage = line.get("usage") or {}
            tally["requests"] += 1
            tally["from_cache"] += bool(line.get("cached"))
            tally["prompt_tokens"] += int(usage.get("prompt_tokens") or 0)
            tally["completion_tokens"] += int(usage.get("completion_tokens") or 0)
        entry = summary["benchmarks"].get(name)
        if entry is not None:
            entry["judge"] = judge_summary(bench, mine)
    cost = None
    if config.prices is not None:
        cost = (tally["prompt_tokens"] * config.prices.input + tally["completion_tokens"] * config.prices.output) / PER_MILLION
    overall = agreement([a for a, _ in pairs], [b for _, b in pairs]).to_dict()
    summary["judge_accounting"] = {"model": config.model, "settings": config.settings.to_dict(), **tally, "cost": cost,
                                   "agreement": overall}


async def send(config: JudgeConfig, benches: dict[str, Benchmark], records: list[dict[str, Any]], path: Path) -> None:
    backend = create_backend(config.model, base_urls=config.base_urls, max_concurrency=config.max_concurrency,
                             timeout_s=config.timeout_s, max_retries=config.max_retries)
    cache = ReplyCache(config.cache_path or default_cache_path()) if config.use_cache and backend.cacheable else None
    identity = canonical_json(backend.identity())
    settings_json = canonical_json(config.settings.to_dict())
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for record in records:
        queue.put_nowait(record)
    await backend.start()
    probe = getattr(backend, "probe", None)
    handle = path.open("a", encoding="utf-8")
    try:
        if probe is not None:
            await probe()

        async def worker() -> None:
            while True:
                try:
                    record = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                line = await judge_one(config, benches[record["benchmark"]], record, backend, cache, identity, settings_json)
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                handle.flush()

        await asyncio.gather(*(worker() for _ in range(max(1, config.max_concurrency))))
    finally:
        handle.close()
        if cache is not None:
            cache.close()
        await backend.close()


async def judge_one(config: JudgeConfig, bench: Benchmark, record: dict[str, Any], backend: Any,
                    cache: ReplyCache | None, identity: str, settings_json: str) -> dict[str, Any]:
    sample = sample_of(record)
    messages = bench.judge_request(sample, content_of(record))  # type: ignore[attr-defined]
    request = Request(bench, Sample(id=sample.id, messages=messages, target=None), config.settings, 0)
    key = key_of_parts(identity, canonical_json(messages), settings_json, 0) if cache is not None else None
    reply: Reply | None = cache.get(key) if cache is not None and key is not None else None
    if reply is None:
        reply = await backend.generate(request)
        if cache is not None and key is not None and reply.error is None and reply.text is not None:
            cache.put(key, reply)
    headline = bench.headline
    line: dict[str, Any] = {
        "benchmark": record["benchmark"], "id": record["id"], "epoch": int(record.get("epoch") or 0),
        "judge_model": config.model,
        "request": messages, "raw_reply": reply.text, "reasoning": reply.reasoning, "usage": reply.usage,
        "cached": reply.cached, "error": reply.error, "rule": (record.get("scores") or {}).get(headline),
        "rule_prediction": record.get("prediction"), "rule_extraction": record.get("extraction"),
    }
    if reply.error is None:
        answer = split_think(reply.text or "")[0]
        verdict, value = bench.judge_score(answer, sample)  # type: ignore[attr-defined]
        line.update(verdict=verdict, judged=value)
    return line


def same_number(rule_prediction: Any, verdict: str) -> bool:
    try:
        judged = float(verdict)
    except ValueError:
        return False
    if not isinstance(rule_prediction, (int, float)) or isinstance(rule_prediction, bool):
        return judged == 0.0  # no strict answer; OpenCompass's judge says 0 for "no answer"
    return math.isclose(float(rule_prediction), judged, rel_tol=1e-9, abs_tol=1e-12)


def judge_summary(bench: Benchmark, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The judged metric beside the rule's on the same replies, and how far they agree."""
    metric = judge_metric_of(bench)
    scored = [line for line in lines if line.get("judged") is not None]
    numeric = metric.endswith("abs_error")
    if numeric:
        agree_flags = [same_number(line.get("rule_prediction"), str(line.get("verdict"))) for line in scored]
        # percent agreement only: the classes are numbers, kappa has no meaning here
        n = len(scored)
        stats = {"n": n, "agree": sum(agree_flags), "percent": 100.0 * sum(agree_flags) / n if n else None, "kappa": None}
        disagree = [line for line, ok in zip(scored, agree_flags, strict=True) if not ok]
    else:
        rule = [float(line.get("rule") or 0.0) for line in scored]
        judged = [float(line["judged"]) for line in scored]
        stats = agreement(rule, judged).to_dict()
        disagree = [line for line, a, b in zip(scored, rule, judged, strict=True) if a != b]
    rule_values = [float(line["rule"]) for line in scored if line.get("rule") is not None]
    return {
        "metric": metric,
        "rule_metric": bench.headline,
        "judged": sum(float(line["judged"]) for line in scored) / len(scored) if scored else None,
        "rule": sum(rule_values) / len(rule_values) if rule_values else None,
        "n": len(scored),
        "errors": sum(1 for line in lines if line.get("error")),
        "agreement": stats,
        "disagreements": [
            {"id": line["id"], "epoch": line["epoch"], "rule": line.get("rule"), "judged": line.get("judged"),
             "verdict": line.get("verdict"), "rule_prediction": line.get("rule_prediction")}
            for line in disagree[:MAX_DISAGREEMENTS]
        ],
        "disagreement_count": len(disagree),
    }


def summary_lines(data: dict[str, Any]) -> list[str]:
    """What ``run`` prints after its table: each judged benchmark's two numbers and agreement."""
    out = []
    for name, entry in data.get("benchmarks", {}).items():
        judged = entry.get("judge")
        if not judged:
            continue
        stats = judged["agreement"]
        kappa = "-" if stats.get("kappa") is None else f"{stats['kappa']:.3f}"
        percent = "-" if stats.get("percent") is None else f"{stats['percent']:.1f}%"
        fmt = lambda v: "-" if v is None else f"{v:.4g}"  # noqa: E731
        out.append(f"judge {name}: {judged['metric']} {fmt(judged['judged'])} vs {judged['rule_metric']} "
                   f"{fmt(judged['rule'])} (n {judged['n']}); agreement {percent}, kappa {kappa}, "
                   f"{judged['disagreement_count']} disagreement(s)")
    accounting = data.get("judge_accounting")
    if accounting and "requests" in accounting:
        cost = "" if accounting.get("cost") is None else f", cost {accounting['cost']:.4f}"
        overall = accounting.get("agreement") or {}
        if overall.get("n"):
            kappa = "-" if overall.get("kappa") is None else f"{overall['kappa']:.3f}"
            out.append(f"judge agreement over {overall['n']} judged replies: {overall['percent']:.1f}%, kappa {kappa}")
        out.append(f"judge {accounting['model']}: {accounting['requests']} judged ({accounting['from_cache']} from cache), "
                   f"{accounting['prompt_tokens']} prompt + {accounting['completion_tokens']} completion tokens{cost}; "
                   "counted apart from the model's")
    return out
