"""binary-search (TAIL, class Divide and conquer): the index of a target in an increasing list.

Buckets (n = list length): S 5-20, M 21-40, L 41-70. The list holds n distinct integers drawn
from 1..10n, sorted increasingly; the target is one of them. The answer is the target's
0-based index (the first element has index 0), an integer.
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.numbers import join
from evalsuite.scorers.exact import parse_int


def binary_search(values: list[int], target: int) -> int:
    low, high = 0, len(values) - 1
    while low <= high:
        mid = (low + high) // 2
        if values[mid] == target:
            return mid
        if values[mid] < target:
            low = mid + 1
        else:
            high = mid - 1
    return -1


class BinarySearch(TailTask):
    task = "binary-search"
    task_class = "Divide and conquer"
    flexible_number = True
    description = "TAIL binary-search: 0-based index of a target in n increasing integers (S 5-20, M 21-40, L 41-70)"
    ranges = {"S": (5, 20), "M": (21, 40), "L": (41, 70)}
    answer_format = "<the 0-based index, an integer>"
    templates = (
        "The list [{numbers}] is sorted in increasing order. Use binary search to find the 0-based index of {target}.",
        "Find the position (counting from 0) of {target} in the increasing list {numbers}, by binary search.",
        "Sorted list: {numbers}. At which 0-based index does {target} appear? Search by repeatedly halving the range.",
        "Apply binary search to locate {target} in [{numbers}] and report its index (the first element has index 0).",
        "Given the increasing sequence {numbers}, return the zero-based index of the value {target} using binary search.",
    )

    paper_questions = (
        'The list $[{numbers}]$ is sorted in increasing order. Use binary search to find the 0-based index of ${target}$.',
        'Find the position, counting from $0$, of ${target}$ in the increasing list $[{numbers}]$ by binary search.',
        'Apply binary search to locate ${target}$ in $[{numbers}]$ and give its index (the first element has index $0$).',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        values = sorted(rng.sample(range(1, 10 * n + 1), n))
        target = rng.choice(values)
        return Instance({"numbers": join(values), "target": target}, binary_search(values, target), {"n": n})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        values = [int(v) for v in instance.fields["numbers"].split(", ")]
        target = instance.fields["target"]
        low, high = 0, len(values) - 1
        lines = [f"Target {target}. State: low = 0, high = {high}."]
        while low <= high:
            mid = (low + high) // 2
            value = values[mid]
            if value == target:
                lines.append(f"mid = ({low} + {high}) // 2 = {mid}; fetch a[{mid}] = {value}; equals {target}: found at {mid}.")
                break
            if value < target:
                lines.append(f"mid = ({low} + {high}) // 2 = {mid}; fetch a[{mid}] = {value}; {value} < {target}: low = {mid + 1}, high = {high}")
                low = mid + 1
            else:
                lines.append(f"mid = ({low} + {high}) // 2 = {mid}; fetch a[{mid}] = {value}; {value} > {target}: low = {low}, high = {mid - 1}")
                high = mid - 1
        return "\n".join(lines)
