"""Build run directories (docs/contracts.md#files-of-a-run-directory) for tests: toy runs from records, and replay runs of a real
benchmark through ``evalsuite run --model replay/...``."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core.benchmark import BenchmarkBase
from evalsuite.core.metrics import Metric, proportion
from evalsuite.core.types import BenchmarkResult, SampleRecord
from evalsuite.files.results import declared


class Toy(BenchmarkBase):
    """A benchmark whose records tests write by hand; only ``aggregate`` (the real one) is used."""

    name = "toy"
    version = "1"
    headline = "accuracy"
    metrics: ClassVar[tuple[Metric, ...]] = (proportion("accuracy"),)
    group_by = ("bucket",)


def prompt_hash(messages: Any) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()


def record(benchmark: str, sample_id: str, scores: dict[str, float | None], *, response: str = "",
           prediction: Any = None, target: Any = None, extraction: str = "final-answer",
           reason: str | None = None, metadata: dict | None = None, prompt: str | None = None,
           error: str | None = None) -> SampleRecord:
    messages = [{"role": "user", "content": prompt or f"Question {sample_id}?"}]
    return SampleRecord(benchmark=benchmark, id=sample_id, prompt=messages, response=response,
                        prediction=prediction, target=target, scores=scores, extraction=extraction,
                        error=error, reason=reason, metadata=metadata or {},
                        prompt_hash=prompt_hash(messages))


def write_run(directory: Path, model: str, records: Sequence[SampleRecord],
              results: dict[str, BenchmarkResult | dict], *, configs: dict[str, dict] | None = None,
              finished: str = "2025-06-01T12:00:00+00:00") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    configs = configs or {}
    run = {
        "model": model, "started": "2025-06-01T11:00:00+00:00", "finished": finished,
        "evalsuite_version": "0.1.0", "packages": {"rdkit": "2024.9"}, "seed": 0,
        "benchmarks": {name: {"name": name, "version": "1", "options": {}, "data_hash": "sha256:abc123def456",
                              "generation": {"temperature": 0.0}, **configs.get(name, {})}
                       for name in results},
    }
    payload = {"run": run, "benchmarks": {k: v.to_dict() if isinstance(v, BenchmarkResult) else v
                                          for k, v in results.items()}}
    (directory / "results.json").write_text(json.dumps(payload, indent=1))
    with (directory / "samples.jsonl").open("w") as handle:
        for rec in records:
            handle.write(json.dumps(rec.to_dict()) + "\n")
    return directory


def toy_run(directory: Path, model: str, n: int, wrong: Iterable[int] = (), *, start: int = 0,
            benchmark: str = "toy", configs: dict | None = None) -> Path:
    """n binary items ``item-XXXX``; the indices in ``wrong`` score 0, the rest 1."""
    wrong = set(wrong)
    records = [record(benchmark, f"item-{i:04d}", {"accuracy": 0.0 if i in wrong else 1.0},
                      metadata={"bucket": "SML"[i % 3]})
               for i in range(start, start + n)]
    toy = Toy()
    result = declared(toy, toy.aggregate(records, 0))
    return write_run(directory, model, records, {benchmark: result}, configs=configs)


TAIL = "tail/large-number-addition"


def replay_run(directory: Path, wrong_fraction: float, *, n: int = 1000, seed: int = 0,
               salt: str = "x") -> Path:
    """A real ``tail/large-number-addition`` run whose replies are right except for a chosen
    fraction of ids (chosen by a seeded shuffle keyed by ``salt``), written by the real runner
    (``evalsuite run --model replay/FILE``)."""
    import random

    from evalsuite.core import registry

    bench = registry.create(TAIL)
    samples = list(bench.samples(None, seed, n))
    ids = [s.id for s in samples]
    chosen = set(random.Random(f"{salt}|{wrong_fraction}").sample(ids, round(wrong_fraction * len(ids))))
    replies = {}
    for s in samples:
        answer = s.target if s.id not in chosen else s.target + "1"  # one extra digit: wrong
        replies[s.id] = f"Adding digit by digit.\nFinal Answer: {answer}"
    directory.mkdir(parents=True, exist_ok=True)
    replay = directory.parent / f"{directory.name}.replay.jsonl"
    replay.write_text("".join(json.dumps({"id": i, "response": r}) + "\n" for i, r in replies.items()))
    cmd = [sys.executable, "-m", "evalsuite.cli", "run", "--model", f"replay/{replay}",
           "--benchmark", TAIL, "--limit", str(n), "--seed", str(seed), "--out", str(directory)]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
    assert done.returncode == 0, f"evalsuite run failed: {done.stderr}"
    return directory

