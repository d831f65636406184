"""What a run cost: tokens, latency and money, per benchmark and for the whole run.

Read from the journal (the ``usage`` and ``latency_s`` each sample recorded), first line per
sample as aggregation counts it, so a resumed or merged run accounts every sample once. Token
counts are the server's own; samples whose backend reports none (oracle, replay, old journals)
are left out of the token figures and counted in ``with_usage``. ``completion_tokens`` include
the reasoning tokens, as the OpenAI usage object counts them.

Percentiles interpolate linearly between order statistics (numpy's default, R's type 7). Cost needs
prices in currency units per million tokens (``--price INPUT,OUTPUT`` or the model config's
``price``): prompt tokens at the input price, completion tokens at the output price.
(docs/contracts.md#resultsjson)
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evalsuite.core.benchmark import Benchmark
from evalsuite.files.journal import is_count

PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Prices:
    """Currency units per million tokens."""

    input: float
    output: float

    @classmethod
    def parse(cls, text: str) -> Prices:
        parts = text.split(",")
        try:
            values = [float(part) for part in parts]
        except ValueError:
            values = []
        if len(values) != 2 or any(v < 0 for v in values):
            raise ValueError(f"--price expects INPUT,OUTPUT (per million tokens, >= 0), got {text!r}")
        return cls(values[0], values[1])

    def to_dict(self) -> dict[str, float]:
        return {"input_per_million": self.input, "output_per_million": self.output}


@dataclass(slots=True)
class Tally:
    """The accounting inputs of a set of samples."""

    samples: int = 0
    prompt: list[int] = field(default_factory=list)
    completion: list[int] = field(default_factory=list)
    reasoning: list[int] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    correct: int = 0
    graded: bool = False  # whether "correct" means anything (a per-sample proportion headline)
    correct_completion: list[int] = field(default_factory=list)

    def add(self, line: Mapping[str, Any], headline: str | None) -> None:
        self.samples += 1
        usage = line.get("usage")
        # a usage with a count that is not one (negative, a boolean, 10**400) is left out of totals
        if isinstance(usage, dict) and is_count(usage.get("completion_tokens")) \
                and all(is_count(usage.get(name) or 0) for name in ("prompt_tokens", "reasoning_tokens")):
            self.completion.append(usage["completion_tokens"])
            self.prompt.append(int(usage.get("prompt_tokens") or 0))
            if isinstance(usage.get("reasoning_tokens"), int):
                self.reasoning.append(usage["reasoning_tokens"])
            if headline is not None:
                self.correct_completion.append(usage["completion_tokens"])
        latency = line.get("latency_s")
        if isinstance(latency, (int, float)) and not isinstance(latency, bool) and 0 <= latency < 1e9:
            self.latency.append(float(latency))
        if headline is not None:
            self.graded = True
            self.correct += (line.get("scores") or {}).get(headline) == 1.0

    def merge(self, other: Tally) -> None:
        self.samples += other.samples
        for name in ("prompt", "completion", "reasoning", "latency", "correct_completion"):
            getattr(self, name).extend(getattr(other, name))
        self.correct += other.correct
        self.graded = self.graded or other.graded

    def summary(self, prices: Prices | None) -> dict[str, Any]:
        prompt, completion = sum(self.prompt), sum(self.completion)
        spent = sum(self.correct_completion)
        out: dict[str, Any] = {
            "samples": self.samples,
            "with_usage": len(self.completion),
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "reasoning_tokens": sum(self.reasoning) if self.reasoning else None,
            "completion_tokens_per_sample": spread(self.completion, mean=True),
            "correct": self.correct if self.graded else None,
            "tokens_per_correct": spent / self.correct if self.graded and self.correct and self.correct_completion else None,
            "latency_s": spread(self.latency, mean=False),
            "cost": None,
        }
        if prices is not None and self.completion:
            cost_in, cost_out = prompt * prices.input / PER_MILLION, completion * prices.output / PER_MILLION
            out["cost"] = {**prices.to_dict(), "input": cost_in, "output": cost_out, "total": cost_in + cost_out}
        return out


def spread(values: list[int] | list[float], *, mean: bool) -> dict[str, float | None]:
    """p50, p95 and max (and the mean) of ``values``; None each when there are none.

    Linear interpolation between order statistics (numpy's default percentile, R's type 7),
    from the standard library: numpy's percentile imports numpy.ma, 15 ms at the end of a run."""
    keys = ("mean", "p50", "p95", "max") if mean else ("p50", "p95", "max")
    if not values:
        return dict.fromkeys(keys)
    numbers = [float(v) for v in values]
    cuts = statistics.quantiles(numbers, n=100, method="inclusive") if len(numbers) > 1 else [numbers[0]] * 99
    found = {"mean": statistics.fmean(numbers), "p50": cuts[49], "p95": cuts[94], "max": max(numbers)}
    return {key: found[key] for key in keys}


def headline_of(bench: Benchmark) -> str | None:
    """The headline when it is a per-sample proportion, so 1.0 means a correct answer."""
    metric = bench.metric_set().get(bench.headline)
    return bench.headline if metric is not None and metric.per_sample and metric.kind == "proportion" else None


class Ledger:
    """The accounting of a run, fed journal line by journal line (``add``), so that aggregation
    reads the journal once for its tables and its accounting (``results.aggregate``)."""

    def __init__(self, benches: Mapping[str, Benchmark]):
        self.tallies = {name: Tally() for name in benches}
        self.headlines = {name: headline_of(bench) for name, bench in benches.items()}
        self.seen: set[tuple[str, str, Any]] = set()

    def add(self, line: Mapping[str, Any]) -> None:
        name = line.get("benchmark")
        if name not in self.tallies:
            return
        key = (name, str(line.get("id")), line.get("epoch"))
        if key in self.seen:  # the first line per sample wins, as in aggregation
            return
        self.seen.add(key)
        self.tallies[name].add(line, self.headlines[name])

    def summaries(self, prices: Prices | None = None) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        """(benchmark -> accounting, the run's accounting)."""
        total = Tally()
        for tally in self.tallies.values():
            total.merge(tally)
        return {name: tally.summary(prices) for name, tally in self.tallies.items()}, total.summary(prices)

