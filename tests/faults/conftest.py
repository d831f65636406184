"""Helpers for the fault tests: a server that answers TAIL prompts, and run-directory readers.

The responder gives the oracle's reply for about 70% of prompts and a wrong or unusable one for
the rest, chosen by a hash of the prompt, so every run has a non-trivial accuracy and per-sample
scores that a lost, repeated or mixed-up reply would change.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from evalsuite.core import registry
from evalsuite.engine import subset

ROOT = Path(__file__).resolve().parents[2]


def answers(benchmark: str, limit: int, options: dict[str, str] | None = None) -> dict[str, str]:
    """Prompt text -> reply: the oracle's for most prompts, a wrong answer or no answer for the rest."""
    bench = registry.create(benchmark, options or {})
    table = {}
    for sample in subset.select(bench, None, 0, limit=limit):  # the samples a --limit run takes
        prompt = sample.messages[-1]["content"]
        kind = hashlib.sha256(prompt.encode()).digest()[0] % 10
        if kind < 7:
            table[prompt] = bench.oracle_response(sample)
        elif kind < 9:
            table[prompt] = "Let me think.\nFinal Answer: 12345678987654321"
        else:
            table[prompt] = "I cannot help with that."
    return table


def responder(*tables: dict[str, str]):
    merged = {k: v for table in tables for k, v in table.items()}
    return lambda messages: merged[messages[-1]["content"]]


def cli(*args: str, cache: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "evalsuite.cli", *args]


def env_with_cache(cache: Path) -> dict[str, str]:
    return dict(os.environ, EVALSUITE_CACHE=str(cache))


def run_cli(args: list[str], cache: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, env=env_with_cache(cache), cwd=ROOT,
                          timeout=timeout)


def journal(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]


def by_key(lines: list[dict]) -> dict[tuple[str, str], dict]:
    return {(line["benchmark"], line["id"]): line for line in lines}


def metrics(run: Path) -> dict:
    """What results.json says about the benchmarks (everything but the run's provenance and the
    request latencies, which differ from run to run; token counts stay in)."""
    data = json.loads((run / "results.json").read_text())
    for result in data["benchmarks"].values():
        result.get("accounting", {}).pop("latency_s", None)
    return {"benchmarks": data["benchmarks"], "families": data.get("families")}
