"""Published numbers as reference rows beside our runs (``reports/published.json``).

The rows are copied from their sources as printed, marked ``published``, and never enter our
statistics: no interval, no rank, no comparison test. Beside them, each run's number for the
same benchmark is aggregated the way the table's ``aggregates`` say (OpenCompass's summary
groups), with a warning wherever our protocol differs from the published one: strict scoring
instead of OpenCompass's conventions, a rule instead of the LLM judge, a subset of the items or
tasks, an aggregation the source does not state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from evalsuite.files.frames import Run

TABLE = Path(__file__).with_name("published.json")


@cache
def table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TABLE.read_text(encoding="utf-8"))
    return data


@dataclass
class OurValue:
    label: str
    values: dict[str, float | None]
    warnings: list[str] = field(default_factory=list)


@dataclass
class Reference:
    name: str
    source: str
    protocol: str
    benchmarks: list[str]
    rows: list[dict[str, Any]]
    ours: list[OurValue]


@dataclass
class JudgeView:
    benchmark: str
    label: str
    metric: str
    rule_metric: str
    judged: float | None
    rule: float | None
    n: int
    percent: float | None
    kappa: float | None
    disagreements: list[dict[str, Any]]
    count: int


def member_value(entry: dict[str, Any], spec: dict[str, Any], judged: bool) -> float | None:
    judge = entry.get("judge") if judged else None
    if judge and judge.get("judged") is not None:
        raw, scale = float(judge["judged"]), 100.0
    else:
        value = (entry.get("metrics") or {}).get(spec["metric"], {}).get("value")
        if value is None:
            return None
        raw, scale = float(value), float(spec.get("scale", 1.0))
    if "error_bound" in spec:
        bound = float(spec["error_bound"])
        score = (bound - raw) / bound * 100
        return max(score, 0.0) if spec.get("clip") else score
    return raw * scale


def our_value(run: Run, label: str, published: list[str]) -> OurValue | None:
    aggregates = table()["aggregates"]
    values: dict[str, float | None] = {}
    warnings: list[str] = []
    for bench in published:
        spec = aggregates.get(bench)
        if spec is None:
            continue
        members = spec["members"]
        present = {name: run.benchmarks[name] for name in members if name in run.benchmarks}
        if not present:
            continue
        scored = [member_value(present[name], members[name], bool(spec.get("judged"))) for name in members if name in present]
        missing = [name for name in members if name not in present]
        if missing or any(v is None for v in scored):
            values[bench] = None
            warnings.append(f"{bench}: not every task of the published aggregate ran"
                            + (f" (missing {', '.join(missing)})" if missing else " with OpenCompass's scoring")
                            + "; no number")
            continue
        values[bench] = sum(v for v in scored if v is not None) / len(scored)
        warnings.append(f"{bench}: {spec['how']}")
        options = {str((run.config(name).get("options") or {}).get("protocol")) for name in present}
        if options != {"opencompass"} and any(members[n]["metric"] == "oc_score" for n in present):
            warnings.append(f"{bench}: run without --set protocol=opencompass")
        if spec.get("judged") and not all(present[name].get("judge") for name in present):
            warnings.append(f"{bench}: the published number was graded by an LLM judge; this run had none "
                            "(--judge-model), so the rule-based grades stand in")
        if run.meta.get("limit") is not None or run.meta.get("first") is not None:
            warnings.append(f"{bench}: a subset of the items (--limit / --first), the published number used all")
    return OurValue(label, values, warnings) if values else None


def references(runs: list[Run], labels: list[str]) -> list[Reference]:
    """The published tables whose benchmarks the runs share, with each run's own number."""
    out = []
    data = table()
    families = {spec["family"] for spec in data["aggregates"].values()}
    ran = {name.split("/", 1)[0] for run in runs for name in run.benchmarks}
    if not families & ran:
        return []
    for name, entry in data["tables"].items():
        ours = [v for run, label in zip(runs, labels, strict=False)
                if (v := our_value(run, label, entry["benchmarks"])) is not None]
        out.append(Reference(name, entry["source"], entry["protocol"], entry["benchmarks"], entry["rows"], ours))
    return out


def judge_views(runs: list[Run], labels: list[str]) -> list[JudgeView]:
    """Each judged benchmark of each run: the judged metric beside the rule's, agreement, and the
    replies on which they disagree (the drill-down)."""
    out = []
    for run, label in zip(runs, labels, strict=False):
        for name, entry in run.benchmarks.items():
            judge = entry.get("judge")
            if not isinstance(judge, dict):
                continue
            stats = judge.get("agreement") or {}
            out.append(JudgeView(name, label, str(judge.get("metric")), str(judge.get("rule_metric")), judge.get("judged"),
                                 judge.get("rule"), int(judge.get("n") or 0), stats.get("percent"), stats.get("kappa"),
                                 list(judge.get("disagreements") or []), int(judge.get("disagreement_count") or 0)))
    return out
