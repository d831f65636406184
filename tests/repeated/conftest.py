"""A dev server whose replies depend on the request's seed, so that every epoch of an item gets
its own reply, and a table of what it answered that the tests reason from.

For each (prompt, seed) a hash picks one of four replies: the right answer, the wrong answer 7
(written "7" or "7.00": one number in two spellings, so that the majority vote must compare
answers in canonical form), the wrong answer 8, or a refusal (no answer: it does not vote).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

from evalsuite.core import registry

BENCH = "tail/large-number-addition"


def kind_of(prompt: str, seed: int) -> int:
    return hashlib.sha256(f"{prompt}\x00{seed}".encode()).digest()[0] % 5


def reply_for(prompt: str, seed: int, gold: str) -> str:
    kind = kind_of(prompt, seed)
    if kind in (0, 1):
        return f"Adding digit by digit.\nFinal Answer: {gold}"
    if kind == 2:
        return "Final Answer: 7" if seed % 2 else "I think it is\nFinal Answer: 7.00"
    if kind == 3:
        return "Final Answer: 8"
    return "I cannot help with that."


def answer_of(prompt: str, seed: int, gold: str) -> Decimal | None:
    """What the reply for (prompt, seed) answers, as a number; None for the refusal."""
    kind = kind_of(prompt, seed)
    return {0: Decimal(gold), 1: Decimal(gold), 2: Decimal(7), 3: Decimal(8)}.get(kind)


def golds(limit: int) -> dict[str, str]:
    """Prompt -> the right answer, for the first ``limit`` samples."""
    bench = registry.create(BENCH)
    return {s.messages[-1]["content"]: s.target for s in bench.samples(None, 0, limit)}


def seeded_responder(table: dict[str, str]):
    def respond(messages, body):
        prompt = messages[-1]["content"]
        return reply_for(prompt, int(body["seed"]), table[prompt])
    return respond


def journal(run: Path) -> list[dict]:
    """The journal's lines without ``latency_s``, which differs from run to run."""
    lines = [json.loads(line) for line in (run / "samples.jsonl").read_text().splitlines()]
    for line in lines:
        line.pop("latency_s", None)
    return lines


def results(run: Path) -> dict:
    """results.json without the request latencies, which differ from run to run (token counts stay)."""
    data = json.loads((run / "results.json").read_text())
    for result in data["benchmarks"].values():
        result.get("accounting", {}).pop("latency_s", None)
    data.get("accounting", {}).pop("latency_s", None)
    return data


def run_args(out: Path, url: str, limit: int, epochs: int, *extra: str) -> list[str]:
    return ["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", str(limit),
            "--epochs", str(epochs), "--temperature", "0.8", "--out", str(out), "--no-progress", *extra]
