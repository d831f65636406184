"""bubble-sort (TAIL, class Simulation): sort n distinct integers in increasing order by bubble sort.

Buckets (n = how many numbers): S 2-4, M 5-6, L 7-8. The numbers are distinct integers in
0..999 in random order. The answer is the sorted list (increasing), comma-separated; order
matters and every number must appear exactly once.
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.numbers import join
from evalsuite.scorers.exact import parse_int_list, same_sequence


def bubble_sort(values: list[int]) -> list[int]:
    """Passes of adjacent compare-and-swap until a pass swaps nothing."""
    items = list(values)
    for end in range(len(items) - 1, 0, -1):
        swapped = False
        for i in range(end):
            if items[i] > items[i + 1]:
                items[i], items[i + 1] = items[i + 1], items[i]
                swapped = True
        if not swapped:
            break
    return items


class BubbleSort(TailTask):
    task = "bubble-sort"
    task_class = "Simulation"
    description = "TAIL bubble-sort n distinct integers (n S 2-4, M 5-6, L 7-8), answer the increasing list"
    ranges = {"S": (2, 4), "M": (5, 6), "L": (7, 8)}
    answer_format = "<the sorted numbers in increasing order, comma-separated>"
    templates = (
        "Sort the numbers {numbers} in increasing order using bubble sort.",
        "Apply bubble sort to the list [{numbers}] and give the sorted list (smallest first).",
        "Use bubble sort to arrange these numbers from smallest to largest: {numbers}.",
        "Here is a list of distinct integers: {numbers}. Bubble-sort it into ascending order.",
        "Run bubble sort on ({numbers}) and report the final ascending order.",
    )

    paper_questions = (
        'Sort the list $[{numbers}]$ in increasing order using bubble sort.',
        'Apply bubble sort to the numbers ${numbers}$ and give them in increasing order (smallest first).',
        'Using bubble sort, arrange the list $[{numbers}]$ from smallest to largest.',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        values = rng.sample(range(1000), n)
        return Instance({"numbers": join(values)}, bubble_sort(values), {"n": n})

    def format_answer(self, answer) -> str:
        return join(answer)

    def parse_answer(self, text: str) -> list[int]:
        return parse_int_list(text)

    def is_correct(self, predicted, gold) -> bool:
        return same_sequence(predicted, gold)

    def trace(self, instance: Instance) -> str:
        items = [int(v) for v in instance.fields["numbers"].split(", ")]
        lines = [f"State: list = [{join(items)}]."]
        for pass_no, end in enumerate(range(len(items) - 1, 0, -1), start=1):
            swapped = False
            for i in range(end):
                a, b = items[i], items[i + 1]
                if a > b:
                    items[i], items[i + 1] = b, a
                    swapped = True
                    lines.append(f"Pass {pass_no}, positions {i + 1},{i + 2}: fetch {a} and {b}; {a} > {b}, swap; list = [{join(items)}]")
                else:
                    lines.append(f"Pass {pass_no}, positions {i + 1},{i + 2}: fetch {a} and {b}; {a} < {b}, keep; list = [{join(items)}]")
            if not swapped:
                lines.append(f"Pass {pass_no} made no swap: the list is sorted.")
                break
        return "\n".join(lines)
