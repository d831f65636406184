"""TAIL length generalization (arXiv 2507.13332): algorithmic tasks in S / M / L length buckets.

Each task lives in its own module; ``TASKS`` lists them in the paper's order and ``FAMILY`` is
what the entry point ``tail`` registers (``tail`` runs all, ``tail/<task>`` one).
"""

from __future__ import annotations

from evalsuite.benchmark import Family

from benchmarks.tail.base import TailTask
from benchmarks.tail.compare_numbers import CompareNumbers
from benchmarks.tail.large_number_addition import LargeNumberAddition

TASKS: tuple[type[TailTask], ...] = (
    LargeNumberAddition,
    CompareNumbers,
)

FAMILY = Family(
    name="tail",
    description="TAIL length generalization: algorithmic tasks with in-distribution (S) and longer (M, L) buckets",
    members={task.task: task for task in TASKS},
)
