"""From run directories to what the template shows: leaderboard, per-benchmark sections, samples.

Nothing here writes HTML except the charts (``evalsuite.reports.charts``, escaped there); all model text
stays plain strings, escaped by the template's autoescape.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from evalsuite.core.types import SampleRecord
from evalsuite.files.frames import Run, higher_is_better
from evalsuite.reports import charts, items, molecules, overview, routes
from evalsuite.reports.cells import Cell, Column, LeaderRow, MetricTable, RunView, as_float, cell, fmt
from evalsuite.reports.pass_at_k import PassBlock, pass_block
from evalsuite.reports.usage import sample_usage, usage_table

MAX_SAMPLES = 12
"""Drill-down rows per (run, benchmark): wrong answers and failures first, then the rest."""
BUCKET_ORDER = ("S", "M", "L")
MAX_MOLECULES = 6
MAX_TEXT = 6_000
"""Longer prompts/replies are cut (the full text stays in samples.jsonl)."""


@dataclass
class MoleculePair:
    id: str
    run: str
    correct: bool
    target: str | None
    target_img: str | None
    prediction: str | None
    prediction_img: str | None
    seen_img: str | None = None
    """The picture the model was shown (a multimodal prompt), as a PNG data URI."""
    product: str | None = None
    """Retrosynthesis: the product the model was given, drawn beside gold and prediction."""
    product_img: str | None = None
    candidates: list[items.Candidate] = field(default_factory=list)
    hit_rank: int | None = None


@dataclass
class Confusion:
    run: RunView
    tp: int
    fp: int
    tn: int
    fn: int
    missing: int = 0
    """Samples without a usable prediction (no answer, masked), counted in the matrix as the
    negative class ("predicted unstable", Matbench Discovery's ``fillna``)."""


@dataclass
class Section:
    benchmark: str
    anchor: str
    headline: str
    higher: bool | None
    metrics: MetricTable
    fidelity: str = ""
    data: str = ""
    groups: list[MetricTable] = field(default_factory=list)
    curve: Any = ""
    boundary: float | None = None
    confusions: list[Confusion] = field(default_factory=list)
    molecules: list[MoleculePair] = field(default_factory=list)
    baselines: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    pass_at_k: PassBlock | None = None
    usage: MetricTable | None = None


@dataclass
class SampleView:
    run: str
    run_label: str
    benchmark: str
    anchor: str
    id: str
    messages: list[tuple[str, str]]
    response: str
    prediction: str
    target: str
    scores: str
    headline_score: str
    extraction: str
    reason: str
    error: str
    wrong: bool
    failed: bool
    routes: Any = ""
    """Route trees (reports.routes markup) for a benchmark listing ``route_fields``."""
    reasoning: str = ""
    usage: str = ""
    truncated: bool = False


@dataclass
class Report:
    runs: list[RunView]
    columns: list[Column]
    leaderboard: list[LeaderRow]
    baseline_rows: list[tuple[str, list[str]]]
    sections: list[Section]
    samples: list[SampleView]
    sample_counts: list[tuple[str, str, int, int]]
    """(run label, benchmark, shown, total)"""
    families: list[overview.FamilyTable] = field(default_factory=list)
    tail_overview: Any = ""
    max_samples: int = MAX_SAMPLES
    compared: list[items.ItemRow] = field(default_factory=list)
    """The same items side by side across runs, disagreements first (``items.comparisons``)."""
    """SVG heatmap: TAIL task x bucket accuracy per run ("" without TAIL tasks)."""

    @property
    def main_sections(self) -> list[Section]:
        """Sections shown up front; with the TAIL overview drawn, its per-task sections go below it, folded."""
        return [s for s in self.sections if not (self.tail_overview and s.benchmark.startswith("tail/"))]

    @property
    def tail_sections(self) -> list[Section]:
        return [s for s in self.sections if self.tail_overview and s.benchmark.startswith("tail/")]


def anchor(name: str) -> str:
    return "b-" + "".join(ch if ch.isalnum() else "-" for ch in name.lower())


def build(runs: list[Run]) -> Report:
    models = [r.model for r in runs]
    views = []
    for index, run in enumerate(runs):
        label = run.model if models.count(run.model) == 1 else f"{run.model} ({run.path.name})"
        imported = str(run.meta.get("imported") or "")
        if imported:
            label += f" [imported: {imported}]"
        if run.partial:
            label += " [partial]"
        views.append(RunView(f"r{index}", run.model, run.date[:19].replace("T", " "), run.version,
                             str(run.meta.get("seed", "")), str(run.path), label, imported, run.partial))
    names: list[str] = []
    for run in runs:
        names += [b for b in run.benchmarks if b not in names]
    names.sort()
    columns = []
    for name in names:
        result = next(r.benchmarks[name] for r in runs if name in r.benchmarks)
        metric = result.get("headline") or next(iter(result["metrics"]), "")
        columns.append(Column(name, metric, higher_is_better(result, metric), anchor(name), fidelity_of(runs, name),
                              overview.column_warning(name, runs), data_labels(runs, name)))
    leaderboard = []
    for run, view in zip(runs, views, strict=False):
        cells: list[tuple[Cell | None, str]] = []
        for col in columns:
            found = run.benchmarks.get(col.benchmark)
            if found is None:
                cells.append((None, ""))
                continue
            value = cell(found["metrics"].get(col.metric), found.get("n"))
            notes = []
            if found.get("partial"):
                planned = found.get("planned")
                notes.append(f"partial: {found.get('n')} of {planned if planned is not None else '?'} samples")
            truncated = as_float((found["metrics"].get("truncation_rate") or {}).get("value"))
            if truncated:  # a headline of cut-off replies measures the budget, not the model
                notes.append(f"{truncated:.0%} truncated")
            value.note = " · ".join(notes)
            cells.append((value, str(run.config(col.benchmark).get("data_hash", ""))))
        leaderboard.append(LeaderRow(view, cells))
    baseline_names: list[str] = []
    for run in runs:
        for result in run.benchmarks.values():
            baseline_names += [b for b in (result.get("baselines") or {}) if b not in baseline_names]
    baseline_rows = []
    for bname in baseline_names:
        values = []
        for col in columns:
            result = next((r.benchmarks[col.benchmark] for r in runs if col.benchmark in r.benchmarks), {})
            row = (result.get("baselines") or {}).get(bname) or {}
            values.append(fmt(as_float(row.get(col.metric))) if col.metric in row else "")
        baseline_rows.append((bname, values))
    sections = [section(name, runs, views) for name in names]
    samples, counts = sample_views(runs, views)
    labels = [v.label for v in views]
    return Report(views, columns, leaderboard, baseline_rows, sections, samples, counts,
                  families=overview.family_tables(runs, labels), tail_overview=overview.tail_heatmap(runs, labels),
                  compared=items.comparisons(runs, {c.benchmark: c.metric for c in columns}, is_wrong))


def group_sort_key(value: str) -> tuple[Any, ...]:
    """Group values in reading order: length buckets short to long (S, M, L), then numbers by
    value, then text case-insensitively with the numbers inside it by value (item2 < item10)."""
    if value in BUCKET_ORDER:
        return (0, BUCKET_ORDER.index(value))
    number = as_float(value)
    if number is not None:
        return (1, number)
    parts = re.split(r"(\d+(?:\.\d+)?)", value.casefold())
    return (2, tuple((0, float(p), "") if i % 2 else (1, 0.0, p) for i, p in enumerate(parts) if p))


def data_labels(runs: list[Run], name: str) -> str:
    """What the runs in benchmark ``name``'s column graded, as results.json names it."""
    from evalsuite.core.data_info import label_of

    found = [label_of(r.benchmarks[name].get("data")) for r in runs if name in r.benchmarks]
    return " / ".join(dict.fromkeys(label for label in found if label))


def fidelity_of(runs: list[Run], name: str) -> str:
    """"paper" / "extended" as the runs' results record it (both when they differ); "" if none do."""
    found = sorted({str(r.benchmarks[name]["fidelity"]) for r in runs
                    if name in r.benchmarks and r.benchmarks[name].get("fidelity")})
    return " / ".join(found)


def arrow(higher: bool | None) -> str:
    """The declared direction as an arrow; none for a descriptive statistic."""
    return "" if higher is None else ("↑" if higher else "↓")


def section(name: str, runs: list[Run], views: list[RunView]) -> Section:
    present = [(run, view) for run, view in zip(runs, views, strict=False) if name in run.benchmarks]
    result0 = present[0][0].benchmarks[name]
    headline = result0.get("headline") or next(iter(result0["metrics"]), "")
    metric_names: list[str] = []
    for run, _ in present:
        metric_names += [m for m in run.benchmarks[name]["metrics"] if m not in metric_names]
    if headline in metric_names:
        metric_names.remove(headline)
        metric_names.insert(0, headline)
    run_views = [v for _, v in present]
    table = MetricTable("Metrics", run_views, [
        (m, arrow(higher_is_better(result0, m)),
         [cell(run.benchmarks[name]["metrics"].get(m), run.benchmarks[name].get("n")) if
          m in run.benchmarks[name]["metrics"] else None for run, _ in present])
        for m in metric_names])
    sec = Section(name, anchor(name), headline, higher_is_better(result0, headline), table,
                  fidelity=fidelity_of([run for run, _ in present], name),
                  data=data_labels([run for run, _ in present], name))
    sec.usage = usage_table(name, present)
    for bname, row in (result0.get("baselines") or {}).items():
        sec.baselines.append((bname, [(m, fmt(as_float(v))) for m, v in (row or {}).items()]))
    group_keys: list[str] = []
    for run, _ in present:
        group_keys += [k for k in (run.benchmarks[name].get("groups") or {}) if k not in group_keys]
    for key in group_keys:
        values: list[str] = []
        for run, _ in present:
            values += [v for v in (run.benchmarks[name].get("groups") or {}).get(key, {}) if v not in values]
        values.sort(key=group_sort_key)
        rows = []
        for value in values:
            cells = []
            for run, _ in present:
                group = ((run.benchmarks[name].get("groups") or {}).get(key) or {}).get(value)
                entry = (group or {}).get("metrics", {}).get(headline) if group else None
                cells.append(cell(entry, (group or {}).get("n")) if group else None)
            rows.append((value, "", cells))
        sec.groups.append(MetricTable(f"{headline} by {key}", run_views, rows))
    if "length" in group_keys:
        boundary = as_float(result0.get("in_distribution_max_length"))
        series = []
        for run, view in present:
            groups = (run.benchmarks[name].get("groups") or {}).get("length") or {}
            points = []
            for value, group in groups.items():
                x, entry = as_float(value), (group or {}).get("metrics", {}).get(headline)
                c = cell(entry) if entry is not None else None
                if x is not None and c is not None and c.value is not None:
                    points.append((x, c.value, *(c.ci or (None, None))))
            if points:
                series.append(charts.Series(view.label[:40], sorted(points)))
        sec.curve = charts.line_chart(series, x_label="length", y_label=headline, boundary=boundary)
        sec.boundary = boundary
    for run, view in present:
        confusion = run.benchmarks[name].get("confusion")
        if isinstance(confusion, dict) and all(k in confusion for k in ("tp", "fp", "tn", "fn")):
            missing = run.benchmarks[name].get("missing_predictions")
            sec.confusions.append(Confusion(view, int(confusion["tp"]), int(confusion["fp"]), int(confusion["tn"]),
                                            int(confusion["fn"]), int(missing) if isinstance(missing, int) else 0))
    sec.pass_at_k = pass_block(name, present)
    fields = result0.get("molecule_fields")
    if isinstance(fields, list) and fields:
        sec.molecules = molecule_pairs(name, present, headline)
    return sec


def molecule_pairs(name: str, present: list[tuple[Run, RunView]], headline: str) -> list[MoleculePair]:
    """A few items per run, wrong ones first (they are what a reader wants to see)."""
    pairs = []
    for run, view in present:
        records = sorted(run.records_of(name), key=lambda r: (not is_wrong(r, headline), r.id))
        for record in records[:MAX_MOLECULES]:
            target = molecules.first_smiles(record.target)
            predicted = molecules.first_smiles(record.prediction)
            pair = MoleculePair(record.id, view.label, not is_wrong(record, headline),
                                target, molecules.draw(target), predicted, molecules.draw(predicted),
                                molecules.shown_picture(record.prompt))
            product = record.metadata.get("product")
            if isinstance(product, str):
                mode = str((run.config(name).get("options") or {}).get("match_mode", "exact"))
                pair.product, pair.product_img = product, molecules.draw(product)
                pair.candidates, pair.hit_rank = items.ranked_candidates(record, mode)
            pairs.append(pair)
    return pairs


def is_wrong(record: SampleRecord, headline: str) -> bool:
    """Wrong = the headline score (or, failing that, the first score) is below 1, or no answer."""
    if record.error or record.extraction_failed:
        return True
    value = record.scores.get(headline)
    if value is None and record.scores:
        value = next((v for v in record.scores.values() if v is not None), None)
    return value is not None and value < 1.0


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"\n… [{len(text) - MAX_TEXT} more characters]"


def _messages(prompt: Any) -> list[tuple[str, str]]:
    if isinstance(prompt, str):
        return [("user", _text(prompt))]
    out = []
    for message in prompt or []:
        if isinstance(message, dict):
            out.append((str(message.get("role", "?")), _text(message.get("content"))))
        else:
            out.append(("?", _text(message)))
    return out


def sample_views(runs: list[Run], views: list[RunView]) -> tuple[list[SampleView], list[tuple[str, str, int, int]]]:
    out, counts = [], []
    for run, view in zip(runs, views, strict=False):
        for name, result in run.benchmarks.items():
            headline = result.get("headline") or ""
            records = run.records_of(name)
            ranked = sorted(records, key=lambda r: (not is_wrong(r, headline), r.id, r.epoch))[:MAX_SAMPLES]
            ranked.sort(key=lambda r: (r.id, r.epoch))
            repeated = int(result.get("epochs") or 1) > 1  # --epochs: say which reply of the item it is
            counts.append((view.label, name, len(ranked), len(records)))
            for r in ranked:
                score = r.scores.get(headline)
                out.append(SampleView(
                    view.key, view.label, name, anchor(name), f"{r.id} (epoch {r.epoch})" if repeated else r.id,
                    _messages(r.prompt), _text(r.response),
                    _text(r.prediction), _text(r.target),
                    ", ".join(f"{k}={fmt(v)}" for k, v in r.scores.items()),
                    fmt(score) if headline in r.scores else "", r.extraction or "",
                    _text(r.reason), _text(r.error), is_wrong(r, headline),
                    bool(r.error) or r.extraction_failed, reasoning=_text(r.reasoning), usage=sample_usage(r),
                    truncated=r.truncated,
                    routes=routes.drill_down(r.target, r.prediction) if result.get("route_fields") else ""))
    return out, counts
