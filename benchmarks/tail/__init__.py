"""TAIL length generalization (arXiv 2507.13332): 18 algorithmic tasks in S / M / L length buckets.

Each task lives in its own module (its docstring states the exact task definition); ``TASKS``
lists them in the paper's order (Table C1) and ``FAMILY`` is what the entry point ``tail``
registers (``tail`` runs all, ``tail/<task>`` one). ``FAMILY.summarize`` adds accuracy per
task class and overall in- vs out-of-distribution accuracy (see ``summary``).
"""

from __future__ import annotations

from functools import partial

from evalsuite.benchmarks.tail.any_substring import AnySubstring
from evalsuite.benchmarks.tail.base import TailTask
from evalsuite.benchmarks.tail.binary_search import BinarySearch
from evalsuite.benchmarks.tail.bubble_sort import BubbleSort
from evalsuite.benchmarks.tail.compare_numbers import CompareNumbers
from evalsuite.benchmarks.tail.count_letters import CountLetters
from evalsuite.benchmarks.tail.derangement import Derangement
from evalsuite.benchmarks.tail.dijkstra import Dijkstra
from evalsuite.benchmarks.tail.diophantine_equation import DiophantineEquation
from evalsuite.benchmarks.tail.knapsack_01 import Knapsack01
from evalsuite.benchmarks.tail.large_number_addition import LargeNumberAddition
from evalsuite.benchmarks.tail.large_number_division import LargeNumberDivision
from evalsuite.benchmarks.tail.lcs import LCS
from evalsuite.benchmarks.tail.levenshtein import Levenshtein
from evalsuite.benchmarks.tail.multi_machine_schedule import MultiMachineSchedule
from evalsuite.benchmarks.tail.permutation_combination import PermutationCombination
from evalsuite.benchmarks.tail.population_growth import PopulationGrowth
from evalsuite.benchmarks.tail.prime_search import PrimeSearch
from evalsuite.benchmarks.tail.summary import summarize
from evalsuite.benchmarks.tail.word_flip import WordFlip
from evalsuite.core.benchmark import Family

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
