"""lcs (TAIL, class Dynamic programming): length of the longest common subsequence of two strings.

Buckets (lengths n and m of the two strings, each drawn in range): S 2-6, M 7-9, L 10-12. The
strings are drawn from the letters a-f. A subsequence keeps characters in order but may skip
some; the answer is the LENGTH of a longest common subsequence (an integer, 0 possible).
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_int

ALPHABET = "abcdef"


def lcs_table(a: str, b: str) -> list[list[int]]:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table


def lcs_length(a: str, b: str) -> int:
    return lcs_table(a, b)[len(a)][len(b)]


class LCS(TailTask):
    task = "lcs"
    task_class = "Dynamic programming"
    flexible_number = True
    description = "TAIL lcs: length of the longest common subsequence of strings of lengths n, m (S 2-6, M 7-9, L 10-12)"
    ranges = {"S": (2, 6), "M": (7, 9), "L": (10, 12)}
    answer_format = "<the length of a longest common subsequence, an integer>"
    templates = (
        'What is the length of the longest common subsequence of "{a}" and "{b}"?',
        'Find the LCS length of the strings "{a}" and "{b}".',
        'A subsequence keeps characters in order but may skip some. How long is the longest subsequence shared by "{a}" and "{b}"?',
        'Compute the length of the longest common subsequence between x = "{a}" and y = "{b}".',
        'Strings: "{a}" and "{b}". Give the length of their longest common subsequence.',
    )

    paper_questions = (
        'What is the length of the longest common subsequence of "{a}" and "{b}"?',
        'Find the length of the LCS (longest common subsequence, not necessarily contiguous) of the strings "{a}" and "{b}".',
        'How long is a longest sequence of characters that appears, in order but not necessarily contiguously, in both "{a}" and "{b}"?',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n, m = draw_length(rng, self.ranges[bucket]), draw_length(rng, self.ranges[bucket])
        a = "".join(rng.choice(ALPHABET) for _ in range(n))
        b = "".join(rng.choice(ALPHABET) for _ in range(m))
        return Instance({"a": a, "b": b}, lcs_length(a, b), {"n": n, "m": m})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        a, b = instance.fields["a"], instance.fields["b"]
        lines = [f"Table L[i][j] = LCS length of the first i letters of '{a}' and the first j of '{b}'. "
                 f"State: row 0 = {[0] * (len(b) + 1)}."]
        previous = [0] * (len(b) + 1)
        for i in range(1, len(a) + 1):
            row = [0]
            for j in range(1, len(b) + 1):
                if a[i - 1] == b[j - 1]:
                    row.append(previous[j - 1] + 1)
                    lines.append(f"L[{i}][{j}]: fetch '{a[i - 1]}' = '{b[j - 1]}' and L[{i - 1}][{j - 1}] = {previous[j - 1]}; value {row[j]}")
                else:
                    row.append(max(previous[j], row[j - 1]))
                    lines.append(f"L[{i}][{j}]: fetch '{a[i - 1]}' != '{b[j - 1]}', L[{i - 1}][{j}] = {previous[j]}, "
                                 f"L[{i}][{j - 1}] = {row[j - 1]}; value {row[j]}")
            lines.append(f"Row {i} = {row}")
            previous = row
        return "\n".join(lines)
