"""The TAIL family summary stored under results.json -> families -> tail.

Input: ``{member name: BenchmarkResult.to_dict()}`` for the TAIL tasks a run included (member
names may be ``tail/<task>`` or ``<task>``). Output:
- ``classes``: per task class, ``accuracy`` = unweighted mean over the class's tasks of each
  task's accuracy, ``n`` = number of tasks, ``samples`` = samples behind them, ``tasks``;
  also ``id_accuracy`` / ``ood_accuracy`` means over the same tasks;
- ``overall``: sample-weighted accuracy over all included tasks, in-distribution (S) and
  out-of-distribution (M, L) accuracy pooled the same way, and ``ood_id_ratio`` = ood / id;
- ``task_mean``: unweighted mean over tasks of accuracy, id_accuracy and ood_accuracy.
Metrics that a task lacks (e.g. no S samples selected) are left out of that mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

METRICS = ("accuracy", "id_accuracy", "ood_accuracy")


def _value(entry: Mapping[str, Any], metric: str) -> tuple[float, int] | None:
    found = (entry.get("metrics") or {}).get(metric) or {}
    if found.get("value") is None:
        return None
    return float(found["value"]), int(found.get("n") or 0)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pooled(pairs: list[tuple[float, int]]) -> tuple[float | None, int]:
    n = sum(count for _, count in pairs)
    return (sum(value * count for value, count in pairs) / n if n else None), n


def summarize(entries: Mapping[str, Mapping[str, Any]], task_classes: Mapping[str, str]) -> dict[str, Any]:
    """``task_classes`` maps task name -> class, for entries that do not carry ``task_class``."""
    per_class: dict[str, dict[str, Any]] = {}
    pooled: dict[str, list[tuple[float, int]]] = {metric: [] for metric in METRICS}
    task_values: dict[str, list[float]] = {metric: [] for metric in METRICS}
    order = {task: index for index, task in enumerate(task_classes)}  # classes in the paper's order

    def task_of(name: str) -> str:
        return name.split("/", 1)[1] if name.startswith("tail/") else name

    for name, entry in sorted(entries.items(), key=lambda item: (order.get(task_of(item[0]), len(order)), item[0])):
        task = task_of(name)
        cls = entry.get("task_class") or task_classes.get(task, "unknown")
        row = per_class.setdefault(cls, {"tasks": [], "samples": 0, **{m: [] for m in METRICS}})
        row["tasks"].append(task)
        row["samples"] += int(entry.get("n") or 0)
        for metric in METRICS:
            found = _value(entry, metric)
            if found is not None:
                row[metric].append(found[0])
                task_values[metric].append(found[0])
                pooled[metric].append(found)
    classes = {
        cls: {
            "accuracy": _mean(row["accuracy"]),
            "id_accuracy": _mean(row["id_accuracy"]),
            "ood_accuracy": _mean(row["ood_accuracy"]),
            "n": len(row["tasks"]),
            "samples": row["samples"],
            "tasks": row["tasks"],
        }
        for cls, row in per_class.items()
    }
    overall = {metric: _pooled(pooled[metric])[0] for metric in METRICS}
    overall["n"] = _pooled(pooled["accuracy"])[1]
    id_value, ood_value = overall["id_accuracy"], overall["ood_accuracy"]
    overall["ood_id_ratio"] = ood_value / id_value if id_value and ood_value is not None else None
    return {
        "classes": classes,
        "overall": overall,
        "task_mean": {metric: _mean(task_values[metric]) for metric in METRICS},
        "tasks": len(entries),
    }
