"""What the gate and ``compare`` print: one row per compared metric, as a Markdown table (and the
GitHub step summary)."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import asdict, dataclass
from typing import Any

from evalsuite.files.frames import Run


@dataclass
class Row:
    """One compared metric: values, paired difference, test and (for the gate) verdict."""

    benchmark: str
    metric: str
    higher_is_better: bool
    n: int
    baseline: float | None
    candidate: float | None
    diff: float | None
    """candidate - baseline"""
    ci95: tuple[float, float] | None
    test: str
    p: float
    discordant: tuple[int, int] | None = None
    """McNemar only: (right -> wrong, wrong -> right)"""
    margin: float | None = None
    p_holm: float | None = None
    verdict: str | None = None

    @property
    def drop(self) -> float:
        """How much worse the candidate is, in metric units (negative = better)."""
        if self.diff is None:
            return 0.0
        return -self.diff if self.higher_is_better else self.diff


def describe(run: Run) -> dict[str, Any]:
    return {"path": str(run.path), "model": run.model, "date": run.date,
            "evalsuite_version": run.version}


def row_dict(row: Row) -> dict[str, Any]:
    data = asdict(row)
    data["drop"] = row.drop
    return data


def who(d: dict[str, Any]) -> str:
    return f"`{d['model']}` ({d['path']}, {d['date'] or 'undated'}, evalsuite {d['evalsuite_version'] or '?'})"


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}g}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.4f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[Row], verdicts: bool) -> list[str]:
    head = ["benchmark", "metric", "better", "n", "baseline", "candidate", "Δ (95% CI)", "test", "p"]
    if verdicts:
        head += ["p (Holm)", "margin", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ci = f" [{_fmt(r.ci95[0])}, {_fmt(r.ci95[1])}]" if r.ci95 else ""
        test = r.test + (f" (b={r.discordant[0]}, c={r.discordant[1]})" if r.discordant else "")
        cells = [r.benchmark, r.metric, "↑" if r.higher_is_better else "↓", str(r.n),
                 _fmt(r.baseline), _fmt(r.candidate), f"{_fmt(r.diff)}{ci}", test, _p(r.p)]
        if verdicts:
            mark = {"PASS": "✅ PASS", "WARN": "⚠️ WARN", "FAIL": "❌ FAIL"}[r.verdict or "PASS"]
            cells += [_p(r.p_holm), _fmt(r.margin), f"**{mark}**"]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def gate_markdown(report: dict[str, Any]) -> str:
    verdict = report["verdict"]
    title = {"pass": "✅ PASS", "fail": "❌ FAIL", "incomparable": "⛔ INCOMPARABLE"}[verdict]
    if verdict == "pass" and any(row.get("verdict") == "WARN" for row in report.get("rows") or []):
        # exit 0 all the same; the headline must not say PASS over a row that warns
        title = "⚠️ WARN (exit 0: no significant regression)"
    lines = [f"## evalsuite gate: {title}", ""]
    if "baseline" in report:
        lines += [f"- baseline: {who(report['baseline'])}"]
    if "candidate" in report:
        lines += [f"- candidate: {who(report['candidate'])}"]
    lines += [f"- note: {note}" for note in report.get("notes", [])]
    if verdict == "incomparable":
        lines += ["", "The runs cannot be compared (exit 2):", ""]
        lines += [f"- {p}" for p in report["problems"]]
        return "\n".join(lines)
    rows = [Row(**{k: v for k, v in r.items() if k != "drop"}) for r in report["rows"]]
    lines += [f"- note: {note}" for note in report.get("notes", [])]
    lines += [f"- alpha {report['alpha']} family-wise (Holm over {len(rows)} guarded metrics); "
              f"bootstrap seed {report['seed']}, {report['resamples']} resamples", ""]
    lines += markdown_table(rows, verdicts=True)
    lines += ["", "FAIL = drop larger than the margin and significant after Holm; WARN = drop larger "
              "than the margin but not significant; Δ = candidate - baseline."]
    return "\n".join(lines)


def step_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text + "\n\n")
    except OSError as exc:
        print(f"evalsuite gate: cannot append to $GITHUB_STEP_SUMMARY ({path}): {exc}", file=sys.stderr)
