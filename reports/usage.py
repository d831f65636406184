"""The report's tokens-and-cost pieces: a table per benchmark from results.json's ``accounting``,
and each sample's usage line for the drill-down (docs/contracts.md#resultsjson)."""

from __future__ import annotations

from typing import Any

from evalsuite.core.types import SampleRecord
from evalsuite.files.frames import Run
from evalsuite.reports.cells import Cell, MetricTable, RunView

ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("completion tokens per sample (mean)", "completion_tokens_per_sample", "mean"),
    ("completion tokens per sample (p95)", "completion_tokens_per_sample", "p95"),
    ("completion tokens per sample (max)", "completion_tokens_per_sample", "max"),
    ("prompt tokens (total)", "prompt_tokens", None),
    ("completion tokens (total)", "completion_tokens", None),
    ("reasoning tokens (total)", "reasoning_tokens", None),
    ("tokens per correct answer", "tokens_per_correct", None),
    ("request latency p50 (s)", "latency_s", "p50"),
    ("request latency p95 (s)", "latency_s", "p95"),
    ("cost", "cost", "total"),
)


def usage_table(name: str, present: list[tuple[Run, RunView]]) -> MetricTable | None:
    """Tokens, latency, cost and truncation of one benchmark per run; None when no run has any."""
    entries = [run.benchmarks[name].get("accounting") or {} for run, _ in present]
    if not any(entry.get("with_usage") or entry.get("latency_s", {}).get("p50") is not None for entry in entries):
        return None

    def value(entry: dict[str, Any], key: str, sub: str | None) -> float | None:
        found = entry.get(key)
        if sub is not None:
            found = found.get(sub) if isinstance(found, dict) else None
        return float(found) if isinstance(found, (int, float)) else None

    rows: list[tuple[str, str, list[Cell | None]]] = [
        (label, "", [Cell(value(entry, key, sub), None, None) for entry in entries]) for label, key, sub in ROWS]
    truncation = [run.benchmarks[name]["metrics"].get("truncation_rate") or {} for run, _ in present]
    rows.append(("truncation rate", "↓", [Cell(t.get("value"), None, t.get("n")) for t in truncation]))
    return MetricTable("Tokens and cost", [view for _, view in present], rows)


def sample_usage(record: SampleRecord) -> str:
    """``finish length · 256 completion tokens (250 reasoning) · 12.3 s · 2 attempts``."""
    parts = []
    if record.finish_reason:
        parts.append(f"finish {record.finish_reason}")
    usage = record.usage or {}
    if usage.get("completion_tokens") is not None:
        reasoning = f" ({usage['reasoning_tokens']:,} reasoning)" if usage.get("reasoning_tokens") is not None else ""
        parts.append(f"{usage.get('prompt_tokens', 0):,} prompt + {usage['completion_tokens']:,} completion tokens{reasoning}")
    if record.latency_s is not None:
        parts.append(f"{record.latency_s:.2f} s")
    if record.attempts and record.attempts > 1:
        parts.append(f"{record.attempts} attempts")
    return " · ".join(parts)
