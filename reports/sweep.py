"""The sweep section of the report (``evalsuite run --sweep``): accuracy against mean completion
tokens, one line per model and one point per value with its 95% CI as a bar, and the truncation
rate per value. Every piece of text is escaped here; the charts are safe ``Markup``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from evalsuite.files.results import read_json
from evalsuite.files.sweep import RESULTS, is_sweep, read_sweep
from evalsuite.reports.charts import PALETTE, nice_ticks

WIDTH, HEIGHT = 900, 340
LEFT, RIGHT, TOP, BOTTOM = 56, 24, 14, 70


@dataclass
class SweepLine:
    label: str
    key: str
    rows: list[dict[str, Any]]
    """one per value, in sweep order (files/sweep.py ``row_of``)"""


@dataclass
class SweepSection:
    benchmark: str
    key: str
    metric: str
    lines: list[SweepLine] = field(default_factory=list)
    accuracy_chart: Markup = field(default_factory=Markup)
    truncation_chart: Markup = field(default_factory=Markup)


def expand(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, dict[str, Any]]]]:
    """Sweep folders replaced by their sub-runs (the rest of the report shows those as runs), and
    each sweep's results.json."""
    runs: list[Path] = []
    sweeps: list[tuple[Path, dict[str, Any]]] = []
    for path in paths:
        if is_sweep(path):
            description = read_sweep(path)
            runs += [path / name for name in description["runs"]]
            sweeps.append((path, read_json(path / RESULTS)))
        else:
            runs.append(path)
    return runs, sweeps


def sections(sweeps: list[tuple[Path, dict[str, Any]]]) -> list[SweepSection]:
    """One section per (benchmark, swept key), a line per sweep folder (model)."""
    found: dict[tuple[str, str], SweepSection] = {}
    models = [str(data["sweep"].get("model") or path.name) for path, data in sweeps]
    for (path, data), model in zip(sweeps, models, strict=True):
        label = model if models.count(model) == 1 else f"{model} ({path.name})"
        sweep = data["sweep"]
        for name, rows in sweep["benchmarks"].items():
            section = found.setdefault((name, sweep["key"]), SweepSection(name, sweep["key"], rows[0].get("metric") or ""))
            section.lines.append(SweepLine(label, sweep["key"], rows))
    for section in found.values():
        section.accuracy_chart = accuracy_chart(section)
        section.truncation_chart = truncation_chart(section)
    return list(found.values())


def _num(value: float) -> str:
    return f"{value:.1f}"


def _frame(label: str, x_label: str, y_label: str) -> list[str]:
    return [f'<svg class="chart sweep-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
            f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
            f'<text x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.1f}" y="{HEIGHT - BOTTOM + 36}" text-anchor="middle" '
            f'class="axis">{escape(x_label)}</text>',
            f'<text transform="translate(14 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.1f}) rotate(-90)" text-anchor="middle" '
            f'class="axis">{escape(y_label)}</text>']


def _y_axis(parts: list[str], sy: Any) -> None:
    for tick in nice_ticks(0.0, 1.0, 5):
        y = sy(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_num(y)}" y2="{_num(y)}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{_num(y + 4)}" text-anchor="end" class="tick">{tick:g}</text>')


def _legend(parts: list[str], labels: list[str]) -> None:
    for index, label in enumerate(labels):
        x, y = LEFT + 280 * (index % 3), HEIGHT - 14
        parts.append(f'<rect x="{x}" y="{y - 4}" width="14" height="3" fill="{PALETTE[index % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 20}" y="{y + 1}" class="legend">{escape(label)}</text>')


def accuracy_chart(section: SweepSection) -> Markup:
    """Accuracy (y) against mean completion tokens per sample (x, logarithmic when the values
    span 8x or more, as budgets usually do), a point per value with its CI bar."""
    points = [(line_index, row) for line_index, line in enumerate(section.lines) for row in line.rows
              if row.get("accuracy") is not None and (row.get("completion_tokens") or {}).get("mean") is not None]
    if not points:
        return Markup("")
    xs = [float(row["completion_tokens"]["mean"]) for _, row in points]
    log = min(xs) > 0 and max(xs) / min(xs) >= 8
    scale = (lambda v: math.log2(v)) if log else (lambda v: v)
    lo, hi = scale(min(xs)), scale(max(xs))
    pad = (hi - lo) * 0.05 or 1.0
    lo, hi = lo - pad, hi + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(v: float) -> float:
        return LEFT + (scale(v) - lo) / (hi - lo) * plot_w

    def sy(y: float) -> float:
        return TOP + (1 - max(0.0, min(1.0, y))) * plot_h

    parts = _frame(f"{section.metric} vs mean completion tokens", "mean completion tokens per sample"
                   + (" (log scale)" if log else ""), section.metric)
    _y_axis(parts, sy)
    ticks = ([2.0 ** e for e in range(math.ceil(lo), math.floor(hi) + 1)] if log else nice_ticks(lo, hi, 7))
    for tick in ticks:
        x = sx(tick)
        parts.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" stroke="#6b7280"/>')
        parts.append(f'<text x="{_num(x)}" y="{TOP + plot_h + 17}" text-anchor="middle" class="tick">{tick:,.0f}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#6b7280"/>')
    for index, line in enumerate(section.lines):
        colour = PALETTE[index % len(PALETTE)]
        mine = [row for i, row in points if i == index]
        path = " ".join(f"{_num(sx(row['completion_tokens']['mean']))},{_num(sy(row['accuracy']))}" for row in mine)
        parts.append(f'<polyline class="sweep-line" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for row in mine:
            x, y = sx(row["completion_tokens"]["mean"]), sy(row["accuracy"])
            ci = row.get("ci95")
            if ci:
                parts.append(f'<line class="ci-bar" x1="{_num(x)}" x2="{_num(x)}" y1="{_num(sy(ci[0]))}" '
                             f'y2="{_num(sy(ci[1]))}" stroke="{colour}" stroke-width="1.5"/>')
            tip = (f"{line.label}: {section.key}={row['value']}: {section.metric} {row['accuracy']:.3f}"
                   + (f" (95% CI {ci[0]:.3f}-{ci[1]:.3f})" if ci else "")
                   + f" at {row['completion_tokens']['mean']:,.0f} mean completion tokens")
            parts.append(f'<circle class="sweep-point" data-value="{escape(str(row["value"]))}" cx="{_num(x)}" '
                         f'cy="{_num(y)}" r="4" fill="{colour}"><title>{escape(tip)}</title></circle>')
            parts.append(f'<text x="{_num(x + 6)}" y="{_num(y - 6)}" class="note">{escape(str(row["value"]))}</text>')
    _legend(parts, [line.label for line in section.lines])
    parts.append("</svg>")
    return Markup("".join(parts))


def truncation_chart(section: SweepSection) -> Markup:
    """The share of replies cut at the token limit, a bar per value (per model, side by side)."""
    values = [str(row["value"]) for row in section.lines[0].rows]
    for line in section.lines[1:]:
        values += [str(row["value"]) for row in line.rows if str(row["value"]) not in values]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(values))
    bar = slot * 0.7 / max(1, len(section.lines))

    def sy(y: float) -> float:
        return TOP + (1 - max(0.0, min(1.0, y))) * plot_h

    parts = _frame(f"truncation rate per {section.key}", section.key, "truncation rate")
    _y_axis(parts, sy)
    for position, value in enumerate(values):
        x = LEFT + slot * position + slot * 0.15
        parts.append(f'<text x="{_num(LEFT + slot * (position + 0.5))}" y="{TOP + plot_h + 17}" text-anchor="middle" '
                     f'class="tick">{escape(value)}</text>')
        for index, line in enumerate(section.lines):
            row = next((r for r in line.rows if str(r["value"]) == value), None)
            rate = row.get("truncation_rate") if row else None
            if rate is None:
                continue
            tip = f"{line.label}: {section.key}={value}: {rate:.1%} of replies stopped at the token limit"
            parts.append(f'<rect class="truncation-bar" data-value="{escape(value)}" data-rate="{rate:.6f}" '
                         f'x="{_num(x + bar * index)}" y="{_num(sy(rate))}" width="{_num(bar)}" '
                         f'height="{_num(TOP + plot_h - sy(rate))}" fill="{PALETTE[index % len(PALETTE)]}">'
                         f'<title>{escape(tip)}</title></rect>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#6b7280"/>')
    _legend(parts, [line.label for line in section.lines])
    parts.append("</svg>")
    return Markup("".join(parts))
