"""TAIL length generalization (arXiv 2507.13332): 18 algorithmic tasks in S / M / L length buckets.

Each task lives in its own module (its docstring states the exact task definition); ``TASKS``
lists them in the paper's order (Table C1) and ``FAMILY`` is what the entry point ``tail``
registers (``tail`` runs all, ``tail/<task>`` one). ``FAMILY.summarize`` adds accuracy per
task class and overall in- vs out-of-distribution accuracy (see ``summary``).
"""

from __future__ import annotations

from functools import partial

from benchmarks.tail.any_substring import AnySubstring
from benchmarks.tail.base import TailTask
from benchmarks.tail.binary_search import BinarySearch
from benchmarks.tail.bubble_sort import BubbleSort
from benchmarks.tail.compare_numbers import CompareNumbers
from benchmarks.tail.count_letters import CountLetters
from benchmarks.tail.derangement import Derangement
from benchmarks.tail.dijkstra import Dijkstra
from benchmarks.tail.diophantine_equation import DiophantineEquation
from benchmarks.tail.knapsack_01 import Knapsack01
from benchmarks.tail.large_number_addition import LargeNumberAddition
from benchmarks.tail.large_number_division import LargeNumberDivision
from benchmarks.tail.lcs import LCS
from benchmarks.tail.levenshtein import Levenshtein
from benchmarks.tail.multi_machine_schedule import MultiMachineSchedule
from benchmarks.tail.permutation_combination import PermutationCombination
from benchmarks.tail.population_growth import PopulationGrowth
from benchmarks.tail.prime_search import PrimeSearch
from benchmarks.tail.summary import summarize
from benchmarks.tail.word_flip import WordFlip
from evalsuite.benchmark import Family

TASKS: tuple[type[TailTask], ...] = (
    LargeNumberAddition,
    LargeNumberDivision,
    BubbleSort,
    WordFlip,
    CompareNumbers,
    AnySubstring,
    Derangement,
    PopulationGrowth,
    Dijkstra,
    MultiMachineSchedule,
    CountLetters,
    DiophantineEquation,
    PrimeSearch,
    Knapsack01,
    LCS,
    Levenshtein,
    BinarySearch,
    PermutationCombination,
)

FAMILY = Family(
    name="tail",
    description="TAIL length generalization: 18 algorithmic tasks with in-distribution (S) and longer (M, L) buckets",
    members={task.task: task for task in TASKS},
    summarize=partial(summarize, task_classes={task.task: task.task_class for task in TASKS}),
)
