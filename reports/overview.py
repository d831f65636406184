"""Report views across benchmarks: which leaderboard columns compare runs on different items,
the family summaries results.json computes (TAIL per class, overall, OOD/ID ratio), and one TAIL
overview (task x length bucket accuracy per run, as a heatmap like the TAIL paper's Fig. 4)
instead of a section per task up front. One function per view; the template has one block each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

from evalsuite.files.frames import Run
from evalsuite.reports.cells import as_float

BUCKETS = ("S", "M", "L")


def column_warning(name: str, runs: list[Run]) -> str:
    """Why the runs in benchmark ``name``'s column were not graded on the same items ("" when
    they were): their data hashes differ, or the ids of their journaled samples do."""
    present = [run for run in runs if name in run.benchmarks]
    if len(present) < 2:
        return ""
    hashes = {str(run.config(name).get("data_hash")) for run in present if run.config(name).get("data_hash")}
    if len(hashes) > 1:
        return f"graded on different items: {len(hashes)} different data hashes ({', '.join(sorted(hashes))})"
    id_sets = [frozenset(r.id for r in run.records_of(name)) for run in present]
    id_sets = [ids for ids in id_sets if ids]
    if len(set(id_sets)) > 1:
        shared = frozenset.intersection(*id_sets)
        return f"graded on different items: the runs share {len(shared)} of {max(len(s) for s in id_sets)} sample ids"
    return ""


@dataclass
class FamilyRow:
    label: str
    overall: float | None
    id_accuracy: float | None
    ood_accuracy: float | None
    ratio: float | None
    samples: int | None
    classes: dict[str, float | None] = field(default_factory=dict)


@dataclass
class FamilyTable:
    family: str
    classes: list[str]
    rows: list[FamilyRow]
    warning: str = ""
    """Set when the runs' family summaries pool different tasks or different items."""


def family_warning(family: str, runs: list[Run]) -> str:
    """Why the runs' ``family`` overall columns do not compare ("" when they do): the runs pooled
    different member tasks (18 tasks beside 2), or a shared task was graded on different items."""
    present = [run for run in runs if (run.families or {}).get(family)]
    if len(present) < 2:
        return ""
    members = [frozenset(b for b in run.benchmarks if b.startswith(family + "/")) for run in present]
    if len(set(members)) > 1:
        counts = " vs ".join(str(len(m)) for m in members)
        return f"pooled over different tasks ({counts} tasks; {len(frozenset.intersection(*members))} shared)"
    differing = [name for name in sorted(members[0]) if column_warning(name, present)]
    if differing:
        return f"graded on different items in {len(differing)} of {len(members[0])} tasks ({', '.join(differing[:5])})"
    return ""


def family_tables(runs: list[Run], labels: list[str]) -> list[FamilyTable]:
    """results.json -> families -> F (e.g. tail: classes, overall with the OOD/ID ratio) per run."""
    names: list[str] = []
    for run in runs:
        names += [f for f in (run.families or {}) if f not in names]
    tables = []
    for family in sorted(names):
        classes: list[str] = []
        rows = []
        for run, label in zip(runs, labels, strict=False):
            summary = (run.families or {}).get(family)
            if not isinstance(summary, dict):
                continue
            overall = summary.get("overall") or {}
            per_class = summary.get("classes") or {}
            classes += [c for c in per_class if c not in classes]
            rows.append(FamilyRow(label, as_float(overall.get("accuracy")), as_float(overall.get("id_accuracy")),
                                  as_float(overall.get("ood_accuracy")), as_float(overall.get("ood_id_ratio")),
                                  overall.get("n"),
                                  {c: as_float((v or {}).get("accuracy")) for c, v in per_class.items()}))
        if rows:
            tables.append(FamilyTable(family, classes, rows, family_warning(family, runs)))
    return tables


def tail_heatmap(runs: list[Run], labels: list[str]) -> Markup:
    """Accuracy per TAIL task (rows) and length bucket (columns), one block of columns per run;
    cells coloured white (0) to blue (1), the value written in each."""
    tasks = sorted({name for run in runs for name in run.benchmarks if name.startswith("tail/")})
    if not tasks:
        return Markup("")
    present = [(run, label) for run, label in zip(runs, labels, strict=False)
               if any(t in run.benchmarks for t in tasks)]
    cell_w, cell_h, left, top, gap = 38, 18, 190, 44, 14
    block = cell_w * len(BUCKETS) + gap
    width, height = left + block * len(present), top + cell_h * len(tasks) + 8
    parts = [f'<svg class="heatmap" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             'aria-label="TAIL accuracy by task and length bucket" xmlns="http://www.w3.org/2000/svg">']
    for j, (run, label) in enumerate(present):
        x0 = left + j * block
        parts.append(f'<text x="{x0}" y="14" class="legend">{escape(label[:28])}</text>')
        for b, bucket in enumerate(BUCKETS):
            parts.append(f'<text x="{x0 + b * cell_w + cell_w / 2}" y="36" text-anchor="middle" class="tick">'
                         f'{bucket}{" (ID)" if bucket == "S" else ""}</text>')
        for i, task in enumerate(tasks):
            groups = ((run.benchmarks.get(task) or {}).get("groups") or {}).get("bucket") or {}
            for b, bucket in enumerate(BUCKETS):
                entry = ((groups.get(bucket) or {}).get("metrics") or {}).get("accuracy") or {}
                value = as_float(entry.get("value"))
                x, y = x0 + b * cell_w, top + i * cell_h
                shade = None if value is None else min(1.0, max(0.0, value))  # inf, 1e308: the scale's end
                fill = "#f3f4f6" if shade is None else f"rgb({int(255 - 218 * shade)},{int(255 - 156 * shade)},{int(255 - 20 * shade)})"
                tip = f"{label}: {task} {bucket}: " + ("not run" if value is None else f"accuracy {value:.3f}, n={entry.get('n')}")
                parts.append(f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="{fill}">'
                             f'<title>{escape(tip)}</title></rect>')
                if value is not None:
                    colour = "#fff" if (shade or 0.0) > 0.6 else "#111827"
                    parts.append(f'<text x="{x + cell_w / 2 - 1}" y="{y + 12}" text-anchor="middle" '
                                 f'class="cellv" fill="{colour}">{value:.2f}</text>')
    for i, task in enumerate(tasks):
        parts.append(f'<text x="{left - 6}" y="{top + i * cell_h + 12}" text-anchor="end" class="tick">'
                     f'{escape(task.removeprefix("tail/"))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
