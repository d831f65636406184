"""knapsack-01 (TAIL, class Dynamic programming): best value of a 0/1 knapsack with n items.

Buckets (n = items): S 2-3, M 4-5, L 6-8. Item weights are in 1..15 and values in 1..60; the
capacity is drawn from min weight .. total weight - 1 (so not every item fits, and at least one
does). Each item is taken at most once. The answer is the largest total value whose total weight
is at most the capacity (an integer).
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_int

Item = tuple[int, int]  # (weight, value)


def best_value(items: list[Item], capacity: int) -> int:
    """best[c] = best value with total weight <= c, items added one at a time (c descending)."""
    best = [0] * (capacity + 1)
    for weight, value in items:
        for c in range(capacity, weight - 1, -1):
            best[c] = max(best[c], best[c - weight] + value)
    return best[capacity]


def items_text(items: list[Item]) -> str:
    return "; ".join(f"item {i} (weight {w}, value {v})" for i, (w, v) in enumerate(items, start=1))


class Knapsack01(TailTask):
    task = "knapsack-01"
    task_class = "Dynamic programming"
    flexible_number = True
    description = "TAIL knapsack-01: best total value of a 0/1 knapsack with n items (S 2-3, M 4-5, L 6-8), integer"
    ranges = {"S": (2, 3), "M": (4, 5), "L": (6, 8)}
    answer_format = "<the best total value, an integer>"
    templates = (
        "A knapsack holds at most weight {capacity}. Items: {items}. Each item can be taken at most once. "
        "What is the largest total value that fits?",
        "Solve the 0/1 knapsack problem with capacity {capacity} and {items}. Give the maximum total value.",
        "You may pack each of these items at most once: {items}. The total weight may not exceed {capacity}. "
        "Find the best achievable total value.",
        "Given capacity {capacity} and the items {items}, choose a subset of items (no repeats) with total weight "
        "at most {capacity} and maximum total value. What is that value?",
        "Items available: {items}. Bag limit: weight {capacity}. What is the highest value you can carry, "
        "taking any item at most once?",
    )

    paper_questions = (
        'A knapsack holds at most weight ${capacity}$. Items: {items}. Each item can be taken at most once. What is the largest total value that fits?',
        'Solve the 0/1 knapsack problem with capacity ${capacity}$ and {items}. Give the maximum total value.',
        'Choose a subset of these items, each at most once, with total weight at most ${capacity}$ and the largest total value: {items}. What is that value?',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        items = [(rng.randint(1, 15), rng.randint(1, 60)) for _ in range(n)]
        total = sum(w for w, _ in items)
        capacity = rng.randint(min(w for w, _ in items), max(min(w for w, _ in items), total - 1))
        return Instance({"capacity": capacity, "items": items_text(items)}, best_value(items, capacity), {"n": n})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        capacity = instance.fields["capacity"]
        items = [
            (int(part.split("weight ")[1].split(",")[0]), int(part.split("value ")[1].rstrip(")")))
            for part in instance.fields["items"].split("; ")
        ]
        # States are the Pareto set {weight: best value}; one item is added per step.
        states = {0: 0}
        lines = [f"Capacity {capacity}. State: reachable = {{weight 0: value 0}}."]
        for number, (weight, value) in enumerate(items, start=1):
            new = dict(states)
            for w, v in sorted(states.items()):
                if w + weight <= capacity and new.get(w + weight, -1) < v + value:
                    new[w + weight] = v + value
            states = new
            shown = ", ".join(f"{w}: {v}" for w, v in sorted(states.items()))
            lines.append(f"Item {number} (weight {weight}, value {value}): fetch each reachable (weight: value), "
                         f"add the item where the weight stays <= {capacity}; reachable = {{{shown}}}")
        lines.append(f"Best value over reachable weights: {max(states.values())}")
        return "\n".join(lines)
