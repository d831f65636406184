"""diophantine-equation (TAIL, class Enumeration): non-negative solutions of a*x1 + b*x2 = n.

Buckets (n = right-hand side): S 10-50, M 51-100, L 101-200; a and b are drawn from 2..12.
The answer is the SET of all pairs (x1, x2) of non-negative integers with a*x1 + b*x2 = n,
written "(x1, x2), (x1, x2), ..." in any order, or "none" when there is no solution. A repeated,
missing or extra pair makes the answer wrong. ``fidelity=paper``: a, b from 1..20 (our reading of
the paper's "a, b >= 0": a coefficient 0 would make the solution set infinite). In both modes a
sample without solutions is at most 10% of a bucket.
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_pairs, same_set


def solutions(a: int, b: int, n: int) -> list[tuple[int, int]]:
    """Try every x1 from 0 while a*x1 <= n; keep it when the rest divides by b."""
    found = []
    x1 = 0
    while a * x1 <= n:
        rest = n - a * x1
        if rest % b == 0:
            found.append((x1, rest // b))
        x1 += 1
    return found


class DiophantineEquation(TailTask):
    task = "diophantine-equation"
    task_class = "Enumeration"
    description = (
        "TAIL diophantine-equation: the set of non-negative integer solutions (x1, x2) of a*x1 + b*x2 = n "
        "(n S 10-50, M 51-100, L 101-200; a, b in 2..12)"
    )
    ranges = {"S": (10, 50), "M": (51, 100), "L": (101, 200)}
    answer_format = "<all solutions as (x1, x2) pairs separated by commas, in any order, or none>"
    templates = (
        "Find all non-negative integer solutions (x1, x2) of {a}*x1 + {b}*x2 = {n}.",
        "List every pair of non-negative integers x1, x2 with {a}x1 + {b}x2 = {n}.",
        "Solve {a}*x1 + {b}*x2 = {n} over the non-negative integers; give all solutions (x1, x2).",
        "Which pairs (x1, x2) of whole numbers (0 allowed) satisfy {a} * x1 + {b} * x2 = {n}? List them all.",
        "Enumerate the solutions of the linear Diophantine equation {a}x1 + {b}x2 = {n} with x1 >= 0 and x2 >= 0.",
    )

    paper_questions = (
        'Find all solutions $(x_1, x_2)$ in non-negative integers ($x_1, x_2 \\ge 0$) of ${a}x_1 + {b}x_2 = {n}$.',
        'List every pair of integers $x_1 \\ge 0$, $x_2 \\ge 0$ with ${a}x_1 + {b}x_2 = {n}$.',
        'Solve ${a}x_1 + {b}x_2 = {n}$ over the non-negative integers and give all solutions $(x_1, x_2)$.',
    )
    divergences = (
        "a and b are drawn from 2..12 (the paper's reading here: from 1..20)",
        'no-solution samples are capped at 10% per bucket',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        top, bottom = (20, 1) if self.paper else (12, 2)
        a, b = rng.randint(bottom, top), rng.randint(bottom, top)
        return Instance({"a": a, "b": b, "n": n}, solutions(a, b, n), {"n": n})

    def is_trivial(self, instance: Instance) -> bool:
        return not instance.answer  # "none" is guessable

    def format_answer(self, answer) -> str:
        return ", ".join(f"({x1}, {x2})" for x1, x2 in answer) if len(answer) else "none"

    def parse_answer(self, text: str) -> list[tuple[int, int]]:
        return parse_pairs(text)

    def is_correct(self, predicted, gold) -> bool:
        return same_set(map(tuple, predicted), map(tuple, gold))

    def trace(self, instance: Instance) -> str:
        a, b, n = instance.fields["a"], instance.fields["b"], instance.fields["n"]
        lines = [f"Try x1 = 0, 1, ... while {a}*x1 <= {n}. State: solutions = none."]
        found = []
        x1 = 0
        while a * x1 <= n:
            rest = n - a * x1
            if rest % b == 0:
                found.append(f"({x1}, {rest // b})")
                lines.append(f"x1 = {x1}: fetch n = {n}; {n} - {a}*{x1} = {rest}; {rest} mod {b} = 0, x2 = {rest // b}; "
                             f"solutions = {', '.join(found)}")
            else:
                lines.append(f"x1 = {x1}: fetch n = {n}; {n} - {a}*{x1} = {rest}; {rest} mod {b} = {rest % b}, no solution")
            x1 += 1
        lines.append(f"x1 = {x1}: {a}*{x1} = {a * x1} > {n}, stop.")
        return "\n".join(lines)
