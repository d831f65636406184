"""levenshtein (TAIL, class Dynamic programming): edit distance between two strings.

Buckets (lengths n and m of the two strings, each drawn in range): S 2-4, M 5-7, L 8-9. The
strings are drawn from the letters a-f. The distance is the least number of single-character
insertions, deletions and substitutions (each costs 1) turning the first string into the
second. The answer is that integer.
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_int

ALPHABET = "abcdef"


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost))
        previous = row
    return previous[len(b)]


class Levenshtein(TailTask):
    task = "levenshtein"
    task_class = "Dynamic programming"
    flexible_number = True
    description = "TAIL levenshtein: edit distance (unit insert/delete/substitute) of strings of lengths n, m (S 2-4, M 5-7, L 8-9)"
    ranges = {"S": (2, 4), "M": (5, 7), "L": (8, 9)}
    answer_format = "<the edit distance, an integer>"
    templates = (
        'What is the Levenshtein distance between "{a}" and "{b}"?',
        'How many single-character insertions, deletions or substitutions are needed at least to turn "{a}" into "{b}"?',
        'Compute the edit distance from "{a}" to "{b}" (insert, delete and substitute each cost 1).',
        'Find the minimum number of edits (insert a character, delete a character, replace a character) that transform "{a}" into "{b}".',
        'Strings x = "{a}" and y = "{b}". Give their Levenshtein edit distance.',
    )

    paper_questions = (
        'What is the Levenshtein distance between "{a}" and "{b}"?',
        'What is the least number of single-character insertions, deletions or substitutions that turns "{a}" into "{b}"?',
        'Compute the edit distance (insertions, deletions and substitutions, each costing $1$) from "{a}" to "{b}".',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n, m = draw_length(rng, self.ranges[bucket]), draw_length(rng, self.ranges[bucket])
        a = "".join(rng.choice(ALPHABET) for _ in range(n))
        b = "".join(rng.choice(ALPHABET) for _ in range(m))
        return Instance({"a": a, "b": b}, edit_distance(a, b), {"n": n, "m": m})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        a, b = instance.fields["a"], instance.fields["b"]
        previous = list(range(len(b) + 1))
        lines = [f"Table E[i][j] = distance between the first i letters of '{a}' and the first j of '{b}'. "
                 f"State: row 0 = {previous}."]
        for i in range(1, len(a) + 1):
            row = [i]
            for j in range(1, len(b) + 1):
                cost = 0 if a[i - 1] == b[j - 1] else 1
                row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost))
                lines.append(f"E[{i}][{j}]: fetch '{a[i - 1]}' vs '{b[j - 1]}' (cost {cost}), E[{i - 1}][{j}] = {previous[j]}, "
                             f"E[{i}][{j - 1}] = {row[j - 1]}, E[{i - 1}][{j - 1}] = {previous[j - 1]}; "
                             f"min({previous[j]}+1, {row[j - 1]}+1, {previous[j - 1]}+{cost}) = {row[j]}")
            lines.append(f"Row {i} = {row}")
            previous = row
        return "\n".join(lines)
