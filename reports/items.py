"""Per-item report views: the ranked candidates of a retrosynthesis card (with the rank of the
hit), and the same item side by side across runs where the runs disagree."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from evalsuite.core.types import SampleRecord
from evalsuite.files.frames import Run

MAX_CANDIDATES_SHOWN = 10
MAX_COMPARED = 60
"""Items in the comparison view (those where the runs disagree first); the rest are in samples.jsonl."""
MAX_ANSWER = 160


@dataclass
class Candidate:
    rank: int
    smiles: str
    hit: bool


def ranked_candidates(record: SampleRecord, match_mode: str = "exact") -> tuple[list[Candidate], int | None]:
    """The prediction's candidates in rank order (a list of SMILES) and the 1-based rank of the
    first that matches the gold set in ``match_mode`` (None when none does, or no list)."""
    if not isinstance(record.prediction, list) or not isinstance(record.target, str):
        return [], None
    from evalsuite.scorers import chemistry

    candidates, hit_rank = [], None
    for rank, smiles in enumerate(record.prediction[:MAX_CANDIDATES_SHOWN], start=1):
        if not isinstance(smiles, str):
            continue
        hit = hit_rank is None and chemistry.same_molecules(smiles, record.target, match_mode)
        if hit:
            hit_rank = rank
        candidates.append(Candidate(rank, smiles, hit))
    return candidates, hit_rank


@dataclass
class ItemRow:
    benchmark: str
    id: str
    disagree: bool
    cells: list[tuple[str, str] | None] = field(default_factory=list)
    """per run: ("right" | "wrong", the extracted answer, cut), None where the run lacks the item"""


def comparisons(runs: list[Run], headline_of: dict[str, str], is_wrong: Any) -> list[ItemRow]:
    """Items journaled by at least two runs, those the runs disagree on (right in one, wrong in
    another) first, at most ``MAX_COMPARED``."""
    if len(runs) < 2:
        return []
    by_run = [{(r.benchmark, r.id): r for r in run.records} for run in runs]
    keys = sorted({k for records in by_run for k in records if sum(k in other for other in by_run) >= 2})
    rows = []
    for benchmark, item in keys:
        headline = headline_of.get(benchmark, "")
        cells: list[tuple[str, str] | None] = []
        verdicts = set()
        for records in by_run:
            record = records.get((benchmark, item))
            if record is None:
                cells.append(None)
                continue
            verdict = "wrong" if is_wrong(record, headline) else "right"
            verdicts.add(verdict)
            answer = record.prediction if isinstance(record.prediction, str) else json.dumps(record.prediction, ensure_ascii=False)
            cells.append((verdict, answer if len(answer) <= MAX_ANSWER else answer[:MAX_ANSWER] + "…"))
        rows.append(ItemRow(benchmark, item, len(verdicts) > 1, cells))
    rows.sort(key=lambda row: not row.disagree)  # stable: benchmark and id order within each part
    return rows[:MAX_COMPARED]
