"""Inline SVG charts. Every piece of text is escaped here; the result is safe ``Markup``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")


@dataclass
class Series:
    label: str
    points: list[tuple[float, float, float | None, float | None]]
    """(x, y, ci_lo, ci_hi), x ascending"""


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.ceil(lo / step) * step
    ticks, value = [], start
    while value <= hi + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _num(value: float) -> str:
    return f"{value:.1f}"


def line_chart(series: list[Series], *, x_label: str, y_label: str, boundary: float | None = None,
               boundary_label: str = "in-distribution", width: int = 900, height: int = 320) -> Markup:
    """Lines with 95% CI bands, y in [0, 1]; ``boundary`` shades x <= boundary (in-distribution)."""
    left, right, top = 56, 16, 12
    bottom = 48 + 18 * ((len(series) + 2) // 3)  # room for the x axis and the legend rows
    xs = [p[0] for s in series for p in s.points]
    if not xs:
        return Markup("")
    x_lo, x_hi = min(xs), max(xs)
    if boundary is not None:
        x_lo, x_hi = min(x_lo, boundary), max(x_hi, boundary)
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def sy(y: float) -> float:
        return top + (1 - max(0.0, min(1.0, y))) * plot_h

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="{escape(y_label)} vs {escape(x_label)}" xmlns="http://www.w3.org/2000/svg">']
    if boundary is not None:
        bx = sx(boundary)
        parts.append(f'<rect x="{left}" y="{top}" width="{_num(bx - left)}" height="{plot_h}" fill="#ecfdf5"/>')
        parts.append(f'<line x1="{_num(bx)}" y1="{top}" x2="{_num(bx)}" y2="{top + plot_h}" stroke="#059669" '
                     'stroke-width="1.5" stroke-dasharray="5 4"/>')
        parts.append(f'<text x="{_num(bx - 6)}" y="{top + plot_h - 8}" text-anchor="end" class="note">'
                     f'{escape(boundary_label)} ≤ {escape(f"{boundary:g}")}</text>')
    for tick in nice_ticks(0.0, 1.0, 5):
        y = sy(tick)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 8}" y="{_num(y + 4)}" text-anchor="end" class="tick">{tick:g}</text>')
    for tick in nice_ticks(x_lo, x_hi, 7):
        x = sx(tick)
        parts.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{top + plot_h}" y2="{top + plot_h + 4}" stroke="#6b7280"/>')
        parts.append(f'<text x="{_num(x)}" y="{top + plot_h + 17}" text-anchor="middle" class="tick">{tick:g}</text>')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#6b7280"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 34}" text-anchor="middle" class="axis">{escape(x_label)}</text>')
    parts.append(f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" '
                 f'class="axis">{escape(y_label)}</text>')
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        band = [(x, lo, hi) for x, _, lo, hi in s.points if lo is not None and hi is not None]
        if len(band) > 1:
            upper = " ".join(f"{_num(sx(x))},{_num(sy(hi))}" for x, _, hi in band)
            lower = " ".join(f"{_num(sx(x))},{_num(sy(lo))}" for x, lo, _ in reversed(band))
            parts.append(f'<polygon points="{upper} {lower}" fill="{colour}" fill-opacity="0.12"/>')
        line = " ".join(f"{_num(sx(x))},{_num(sy(y))}" for x, y, _, _ in s.points)
        parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y, lo, hi in s.points:
            tip = f"{s.label}: {y_label} {y:.3f} at {x_label} {x:g}"
            if lo is not None and hi is not None:
                tip += f" (95% CI {lo:.3f}-{hi:.3f})"
            parts.append(f'<circle cx="{_num(sx(x))}" cy="{_num(sy(y))}" r="3" fill="{colour}">'
                         f'<title>{escape(tip)}</title></circle>')
        ly = top + plot_h + 58 + 18 * (index // 3)
        lx = left + 280 * (index % 3)
        parts.append(f'<rect x="{lx}" y="{ly - 4}" width="14" height="3" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 20}" y="{ly + 1}" class="legend">{escape(s.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
