"""A budget sweep's run folder (``evalsuite run --sweep KEY=V1,V2,...``, docs/contracts.md#sweeps).

``OUT/sweep.json`` names the swept setting, its values in the order given and each value's
sub-run folder (``OUT/KEY=VALUE``, an ordinary run directory). ``OUT/results.json`` holds, per
benchmark and value, what the accuracy-vs-tokens question needs: the headline with its 95% CI,
mean / p95 completion and reasoning tokens per sample, the truncation rate (share of replies that
stopped at the token limit, ``finish_reason: "length"``) and the cost, read back from the
sub-runs' results.json and journals. The report, the gate and ``compare`` read both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from evalsuite.files.accounting import spread
from evalsuite.files.journal import SAMPLES, read_lines

SWEEP = "sweep.json"
RESULTS = "results.json"


def is_sweep(path: Path) -> bool:
    return (Path(path) / SWEEP).is_file()


def parse_values(text: str) -> tuple[str, list[Any]]:
    """``KEY=V1,V2,...`` -> (key, values): each value JSON when it reads as JSON (64, 0.5, true),
    else the text (low). At least two distinct values."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key):
        raise ValueError(f"--sweep expects KEY=V1,V2,... (e.g. max_tokens=4096,16384), got {text!r}")
    values: list[Any] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            raise ValueError(f"--sweep {key}: an empty value in {raw!r}")
        try:
            values.append(json.loads(item))
        except json.JSONDecodeError:
            values.append(item)
    if len({json.dumps(v) for v in values}) != len(values) or len(values) < 2:
        raise ValueError(f"--sweep {key}: give at least two different values, not {raw!r}")
    return key, values


def folder_name(key: str, value: Any) -> str:
    """The sub-run folder of one value: ``max_tokens=4096``, ``reasoning_effort=low``."""
    text = value if isinstance(value, str) else json.dumps(value)
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", f"{key}={text}")


def read_sweep(path: Path) -> dict[str, Any]:
    """sweep.json: ``{"key", "values", "runs": [folder per value]}``."""
    data = json.loads((Path(path) / SWEEP).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not {"key", "values", "runs"} <= set(data):
        raise ValueError(f"{path / SWEEP}: not a sweep description (key, values, runs)")
    return data


def summarise(out: Path, key: str, values: list[Any]) -> dict[str, Any]:
    """Per benchmark, one row per value in sweep order, from the sub-runs' files."""
    benchmarks: dict[str, list[dict[str, Any]]] = {}
    model = None
    for value in values:
        run = Path(out) / folder_name(key, value)
        data = json.loads((run / RESULTS).read_text(encoding="utf-8"))
        model = model or data.get("run", {}).get("model")
        lines = [line for _, line in read_lines(run / SAMPLES) if line is not None]
        for name, result in data.get("benchmarks", {}).items():
            mine = [line for line in lines if line.get("benchmark") == name]
            benchmarks.setdefault(name, []).append(row_of(value, folder_name(key, value), result, mine))
    return {"key": key, "values": values, "model": model, "benchmarks": benchmarks}


def row_of(value: Any, folder: str, result: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    headline = result.get("headline")
    metric = (result.get("metrics") or {}).get(headline) or {}
    usage = [line.get("usage") or {} for line in lines]
    completion = [u["completion_tokens"] for u in usage if isinstance(u.get("completion_tokens"), int)]
    reasoning = [u["reasoning_tokens"] for u in usage if isinstance(u.get("reasoning_tokens"), int)]
    finished = [line.get("finish_reason") for line in lines if line.get("finish_reason") is not None]
    cost = (result.get("accounting") or {}).get("cost")
    return {
        "value": value,
        "run": folder,
        "metric": headline,
        "accuracy": metric.get("value"),
        "ci95": metric.get("ci95"),
        "n": metric.get("n"),
        "completion_tokens": {k: spread(completion, mean=True)[k] for k in ("mean", "p95")},
        "reasoning_tokens": {k: spread(reasoning, mean=True)[k] for k in ("mean", "p95")},
        "truncation_rate": sum(f == "length" for f in finished) / len(finished) if finished else None,
        "cost": cost.get("total") if isinstance(cost, dict) else None,
    }
