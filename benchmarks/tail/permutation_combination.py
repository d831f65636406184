"""permutation-combination (TAIL, class Backtracking): all k-element combinations of n letters.

Buckets (n = list length): S 2-4, M 5-6, L 7-8. The list holds n distinct lowercase letters in
random order and k is drawn from 1..n. A combination is a k-element subset (order inside it
does not matter); the answer is the SET of all C(n, k) combinations, each written as its letters
run together ("ab"), separated by commas, in any order. Letters inside a combination may be in
any order ("ba" = "ab"); a repeated, missing or extra combination makes the answer wrong.
The reference solver is backtracking (choose / recurse / un-choose) in list order.
``fidelity=paper``: the answer is the NUMBER of k-combinations, C(n, k), as Table C1 asks. In both
modes the trivial k = 1 and k = n are at most 10% of a bucket.
"""

from __future__ import annotations

import random
import re
import string

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.core.extraction import last_number
from evalsuite.scorers.exact import parse_int, parse_items, same_set

LETTERS = re.compile(r"^[a-z]+$")


def combinations(items: list[str], k: int) -> list[str]:
    found: list[str] = []
    chosen: list[str] = []

    def backtrack(start: int) -> None:
        if len(chosen) == k:
            found.append("".join(chosen))
            return
        for i in range(start, len(items)):
            chosen.append(items[i])
            backtrack(i + 1)
            chosen.pop()

    backtrack(0)
    return found


def combination_item(text: str) -> str:
    item = text.strip().strip("'\"").replace(" ", "")
    if not LETTERS.match(item) or len(set(item)) != len(item):
        raise ValueError(f"not a combination of distinct letters: {text[:20]!r}")
    return "".join(sorted(item))


class PermutationCombination(TailTask):
    task = "permutation-combination"
    task_class = "Backtracking"
    description = (
        "TAIL permutation-combination: the set of all k-element combinations of n distinct letters "
        "(n S 2-4, M 5-6, L 7-8), found by backtracking"
    )
    ranges = {"S": (2, 4), "M": (5, 6), "L": (7, 8)}
    answer_format = "<every combination as its letters run together (e.g. ab), comma-separated, in any order>"
    templates = (
        "List all combinations of {k} letters chosen from [{letters}].",
        "Using backtracking, enumerate every way to choose {k} of the letters {letters} (order inside a choice does not matter).",
        "Give all {k}-element subsets of the list {letters}.",
        "From the letters {letters}, pick {k} at a time. Write down every possible selection, each once.",
        "Enumerate step by step all combinations of size {k} of the elements {letters}.",
    )

    paper_questions = (
        'How many combinations of ${k}$ letters can be chosen from the letters $[{letters}]$ (order inside a choice does not matter)?',
        'Using backtracking, count every way to choose ${k}$ of the letters {letters}, where the order of a choice does not matter.',
        'From the letters {letters}, pick ${k}$ at a time. How many different selections are there?',
    )
    divergences = (
        'asks for the list of k-combinations (the paper: their number)',
        'k = 1 and k = n are capped at 10% per bucket',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        letters = rng.sample(string.ascii_lowercase, n)
        k = rng.randint(1, n)
        found = combinations(letters, k)
        fields = {"letters": ", ".join(letters), "k": k}
        return Instance(fields, len(found) if self.paper else found, {"n": n})

    def is_trivial(self, instance: Instance) -> bool:
        k, n = instance.fields["k"], instance.lengths["n"]
        return k in (1, n)

    def format_answer(self, answer) -> str:
        return str(answer) if self.paper else ", ".join(answer)

    def parse_answer(self, text: str):
        return parse_int(text) if self.paper else parse_items(text, combination_item)

    def flexible_span(self, text: str) -> str | None:
        return last_number(text) if self.paper else None

    def is_correct(self, predicted, gold) -> bool:
        return predicted == gold if self.paper else same_set(predicted, gold)

    def trace(self, instance: Instance) -> str:
        items = instance.fields["letters"].split(", ")
        k = instance.fields["k"]
        lines = [f"Choose {k} of [{', '.join(items)}] in list order. State: chosen = [], found = none."]
        found: list[str] = []
        chosen: list[str] = []

        def backtrack(start: int) -> None:
            if len(chosen) == k:
                found.append("".join(chosen))
                lines.append(f"chosen has {k} letters: record {''.join(chosen)}; found = {', '.join(found)}")
                return
            for i in range(start, len(items)):
                chosen.append(items[i])
                lines.append(f"fetch letter {i + 1} = {items[i]}; choose it; chosen = [{', '.join(chosen)}]")
                backtrack(i + 1)
                chosen.pop()
                lines.append(f"un-choose {items[i]}; chosen = [{', '.join(chosen)}]")

        backtrack(0)
        if self.paper:
            lines.append(f"Count the recorded combinations: {len(found)}")
        return "\n".join(lines)
