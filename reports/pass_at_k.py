"""The pass@k block of a benchmark's section: pass@k against k for every run with ``--epochs`` > 1.

Runs with different K share the plot (each up to its own K); a run with one reply per item has no
pass@k and is named in the caption, which says that such runs compare on avg@K, the plain metric.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from evalsuite.reports import charts

PASS = re.compile(r"^pass@([1-9][0-9]*)$")


@dataclass
class PassBlock:
    chart: Markup
    note: str


def epochs_of(result: dict[str, Any]) -> int:
    return int(result.get("epochs") or 1)


def pass_block(name: str, present: list[tuple[Any, Any]]) -> PassBlock | None:
    """``present``: (Run, RunView) pairs holding benchmark ``name``; None when no run has pass@k."""
    series, single = [], []
    for run, view in present:
        result = run.benchmarks[name]
        points = []
        for metric, entry in (result.get("metrics") or {}).items():
            found = PASS.match(metric)
            value = (entry or {}).get("value") if isinstance(entry, dict) else None
            if found and isinstance(value, (int, float)):
                ci = entry.get("ci95") or (None, None)
                points.append((float(found.group(1)), float(value), ci[0], ci[1]))
        if points:
            series.append(charts.Series(f"{view.label[:34]} (K={epochs_of(result)})", sorted(points)))
        else:
            single.append(view.label)
    if not series:
        return None
    note = "pass@k: the chance that at least one of k replies is right (Chen et al. 2021 estimator); " \
           "bands: 95% CI from a bootstrap over items."
    if single or len({epochs_of(run.benchmarks[name]) for run, _ in present}) > 1:
        note += " The runs differ in replies per item: compare them on the plain metric (avg@K)"
        note += f"; no pass@k for {', '.join(single)} (one reply per item)." if single else "."
    return PassBlock(charts.line_chart(series, x_label="k", y_label="pass@k", height=260), note)
