"""population-growth (TAIL, class Iteration): rabbit pairs after n time units.

Buckets (n = time units): S 1-10, M 11-25, L 26-50. Model (Fibonacci's rabbits, generalised):
at time 0 there are y newborn pairs. A pair starts breeding when it is x time units old and
from then on produces z newborn pairs at every time unit; no pair dies. So with P(t) the pairs
at time t: P(t) = y for t < x, and P(t) = P(t - 1) + z * P(t - x) for t >= x (every pair alive
at t - x is at least x old at t). x=2, y=1, z=1 gives 1, 1, 2, 3, 5, ... Parameters: x in
1..min(5, n), y in 1..10, z in 1..5 (``fidelity=paper``: x < n, as Table C1 has it, so n >= 2).
The answer is the exact integer P(n).
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_int


def pairs(n: int, x: int, y: int, z: int) -> list[int]:
    """P(0) .. P(n)."""
    history = [y]
    for t in range(1, n + 1):
        history.append(history[t - 1] + (z * history[t - x] if t >= x else 0))
    return history


class PopulationGrowth(TailTask):
    task = "population-growth"
    task_class = "Iteration"
    flexible_number = True
    description = (
        "TAIL population-growth: pairs after n time units, breeding from age x, y initial pairs, "
        "z new pairs per breeding pair and unit (n S 1-10, M 11-25, L 26-50), exact integer"
    )
    ranges = {"S": (1, 10), "M": (11, 25), "L": (26, 50)}
    answer_format = "<the number of pairs, digits only>"
    templates = (
        "At time 0 a farm has {y} newborn pairs of rabbits. A pair starts breeding once it is {x} time units old, "
        "and from then on each breeding pair produces {z} newborn pairs every time unit. Rabbits never die. "
        "How many pairs are there at time {n}?",
        "A population starts with {y} newborn pairs at time 0. Every pair that is at least {x} time units old "
        "gives birth to {z} new pairs at each time unit; no pair ever dies. Find the number of pairs at time {n}.",
        "Rabbit pairs: {y} newborn pairs at time 0; breeding begins at age {x}; each breeding pair adds {z} "
        "newborn pairs per time unit; no deaths. How many pairs exist after {n} time units?",
        "Simulate a colony for {n} time units. Initially (time 0) there are {y} newborn pairs. A pair breeds "
        "from age {x} onward, producing {z} newborn pairs per unit of time, and pairs live forever. "
        "What is the total number of pairs at time {n}?",
        "Starting with {y} pairs born at time 0, where each pair produces {z} new pairs at every time unit "
        "once it is {x} or more units old and nothing dies, how many pairs are alive at time {n}?",
    )

    paper_questions = (
        'At time $0$ there are ${y}$ newborn pairs of rabbits. A pair starts breeding once it is ${x}$ time units old, and from then on each breeding pair produces ${z}$ newborn pairs every time unit. Rabbits never die. How many pairs are there at time ${n}$?',
        'A population starts with ${y}$ newborn pairs at time $0$. Every pair that is at least ${x}$ time units old gives birth to ${z}$ new pairs at each time unit, and no pair dies. Find the number of pairs at time ${n}$.',
        'Rabbit pairs: ${y}$ newborn pairs at time $0$; a pair breeds from age ${x}$ on; each breeding pair adds ${z}$ newborn pairs per time unit; no deaths. How many pairs exist at time ${n}$?',
    )
    divergences = (
        'the breeding age x may equal n (the paper: x < n)',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        if self.paper:  # Table C1: x < n
            n = draw_length(rng, (max(2, self.ranges[bucket][0]), self.ranges[bucket][1]))
            x, y, z = rng.randint(1, min(5, n - 1)), rng.randint(1, 10), rng.randint(1, 5)
        else:
            n = draw_length(rng, self.ranges[bucket])
            x, y, z = rng.randint(1, min(5, n)), rng.randint(1, 10), rng.randint(1, 5)
        return Instance({"n": n, "x": x, "y": y, "z": z}, pairs(n, x, y, z)[n], {"n": n})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        n, x, y, z = (instance.fields[key] for key in ("n", "x", "y", "z"))
        history = [y]
        lines = [f"Rule: P(t) = P(t-1) + {z} * P(t-{x}) once t >= {x}; P(t) = {y} before. State: P(0) = {y}."]
        for t in range(1, n + 1):
            if t < x:
                history.append(history[-1])
                lines.append(f"t = {t}: fetch P({t - 1}) = {history[t - 1]}; no pair is {x} old yet; P({t}) = {history[t]}")
            else:
                history.append(history[t - 1] + z * history[t - x])
                lines.append(f"t = {t}: fetch P({t - 1}) = {history[t - 1]} and P({t - x}) = {history[t - x]}; "
                             f"P({t}) = {history[t - 1]} + {z} * {history[t - x]} = {history[t]}")
        return "\n".join(lines)
