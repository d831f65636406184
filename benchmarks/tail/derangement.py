"""derangement (TAIL, class Recursion): count permutations with constrained fixed points.

Buckets (n = number of elements): S 3-30, M 31-60, L 61-100. The S bucket holds only 28
values of n, too few for 500 distinct instances of the plain question, so each instance is one
of three questions about permutations of n distinct elements (a fixed point is an element that
stays in its original position):
- ``derangement``: no fixed point at all, D(n) (probability 1/2);
- ``exactly``: exactly k fixed points, 1 <= k <= n, = C(n, k) * D(n - k) (probability 1/4);
- ``avoid``: none of the first k elements is fixed, the rest are free, 1 <= k < n,
  = A(n, k) with A(m, 0) = m! and A(m, j) = A(m, j - 1) - A(m - 1, j - 1) (probability 1/4).
D follows D(0) = 1, D(1) = 0, D(m) = (m - 1) * (D(m - 1) + D(m - 2)). The answer is the exact
integer (big: D(100) has 158 digits). The plain question has only one instance per n (28, 30
and 40 per bucket), so once those are drawn the duplicate redraws fill a 500-sample bucket with
the k variants; the prompt states the variant and metadata ``variant`` records it.
``fidelity=paper`` asks only the paper's question, D(n), each n in every phrasing: a bucket then
holds half of those (n, phrasing) pairs (S 168, M 180, L 240), fewer than ``per_bucket`` asks.
"""

from __future__ import annotations

import random
from math import comb, factorial

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_int


def derangements(n: int) -> int:
    previous, current = 1, 0  # D(0), D(1)
    if n == 0:
        return 1
    for m in range(2, n + 1):
        previous, current = current, (m - 1) * (current + previous)
    return current


def avoiding(n: int, k: int) -> int:
    """Permutations of n in which none of the first k elements is fixed (recursion on k)."""
    row = [factorial(m) for m in range(n - k, n + 1)]  # A(m, 0) for m = n-k .. n
    for _ in range(k):
        row = [row[i + 1] - row[i] for i in range(len(row) - 1)]  # A(m, j) = A(m, j-1) - A(m-1, j-1)
    return row[0]


def count(kind: str, n: int, k: int) -> int:
    if kind == "derangement":
        return derangements(n)
    if kind == "exactly":
        return comb(n, k) * derangements(n - k)
    return avoiding(n, k)


CONDITIONS = {
    "derangement": "no element stays in its original position",
    "exactly": "exactly {k} of the elements stay in their original positions",
    "avoid": "none of the first {k} elements stays in its original position (the other elements may go anywhere)",
}


class Derangement(TailTask):
    task = "derangement"
    task_class = "Recursion"
    flexible_number = True
    description = (
        "TAIL derangement: permutations of n elements with no / exactly k / none-of-first-k fixed points "
        "(n S 3-30, M 31-60, L 61-100), exact integer"
    )
    ranges = {"S": (3, 30), "M": (31, 60), "L": (61, 100)}
    answer_format = "<the exact number, digits only>"
    variant_field = "kind"
    templates = (
        "How many permutations of {n} distinct elements are there in which {condition}?",
        "Count the arrangements of {n} distinct items such that {condition}.",
        "{n} distinct objects are put in some order (the original order counts too). In how many of the possible "
        "orders is it true that {condition}?",
        "Find the number of permutations of the list 1, 2, ..., {n} in which {condition}.",
        "Consider all orderings of {n} distinct elements. How many of them satisfy: {condition}?",
    )

    paper_questions = (
        'How many derangements of ${n}$ distinct elements are there, i.e. permutations in which no element stays in its original position?',
        'Count the permutations of the list $1, 2, \\dots, {n}$ in which no element is in its original position.',
        'Find $D_{{{n}}}$, the number of ways to rearrange ${n}$ distinct items so that no item stays in its original place.',
    )
    divergences = (
        "only 25-34% of samples ask the paper's question (the number of derangements of n); the rest ask for exactly k fixed points or none of the first k fixed",
    )

    def distinct_instances(self, bucket: str) -> int | None:
        if not self.paper:
            return None
        lo, hi = self.ranges[bucket]  # paper: one question per n, in each phrasing; half of them
        return (hi - lo + 1) * len(self.active_templates) // 2  # so random draws find them fast

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        if self.paper:  # Table C1: the number of derangements of n, nothing else
            fields = {"n": n, "k": 0, "kind": "derangement", "template": rng.randrange(len(self.active_templates))}
            return Instance(fields, derangements(n), {"n": n})
        roll = rng.random()
        if roll < 0.5:
            kind, k = "derangement", 0
        elif roll < 0.75:
            kind, k = "exactly", rng.randint(1, n)
        else:
            kind, k = "avoid", rng.randint(1, n - 1)
        fields = {"n": n, "k": k, "kind": kind, "condition": CONDITIONS[kind].format(k=k)}
        return Instance(fields, count(kind, n, k), {"n": n})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        n, k, kind = instance.fields["n"], instance.fields["k"], instance.fields["kind"]
        if kind == "avoid":
            lines = [f"Inclusion-exclusion over the first {k} elements: sum over j of (-1)^j * C({k}, j) * ({n} - j)!.",
                     "State: total = 0."]
            total = 0
            for j in range(k + 1):
                term = comb(k, j) * factorial(n - j)
                total += term if j % 2 == 0 else -term
                sign = "+" if j % 2 == 0 else "-"
                lines.append(f"j = {j}: fetch C({k}, {j}) = {comb(k, j)} and {n - j}! = {factorial(n - j)}; "
                             f"term {sign}{term}; total = {total}")
            return "\n".join(lines)
        target = n if kind == "derangement" else n - k
        lines = ["Recurrence D(m) = (m - 1) * (D(m - 1) + D(m - 2)). State: D(0) = 1, D(1) = 0."]
        previous, current = 1, 0
        for m in range(2, target + 1):
            new = (m - 1) * (current + previous)
            lines.append(f"m = {m}: fetch D({m - 1}) = {current} and D({m - 2}) = {previous}; "
                         f"D({m}) = {m - 1} * ({current} + {previous}) = {new}")
            previous, current = current, new
        if kind == "exactly":
            value = derangements(target)
            lines.append(f"Choose the {k} fixed elements: fetch C({n}, {k}) = {comb(n, k)} and D({target}) = {value}; "
                         f"{comb(n, k)} * {value} = {comb(n, k) * value}")
        return "\n".join(lines)
