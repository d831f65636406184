"""any-substring (TAIL, class Recursion): every distinct non-empty substring of a string.

Buckets (n = length of the string): S 3-5, M 6-9, L 10-14. The string is drawn from the letters
a-j, so repeated letters (and so repeated substrings) occur. A substring is a contiguous,
non-empty run of characters; the answer is the SET of distinct substrings, comma-separated, in
any order. A repeated, missing or extra item makes the answer wrong.
"""

from __future__ import annotations

import random
import re

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.scorers.exact import parse_items, same_set

ALPHABET = "abcdefghij"
LETTERS = re.compile(r"^[a-z]+$")


def substrings(text: str) -> set[str]:
    """Recursion on the first character: the prefixes of ``text``, then the substrings of the rest."""
    if not text:
        return set()
    return {text[:end] for end in range(1, len(text) + 1)} | substrings(text[1:])


def ordered(items) -> list[str]:
    return sorted(items, key=lambda s: (len(s), s))


def letters_item(text: str) -> str:
    item = text.strip().strip("'\"")
    if not LETTERS.match(item):
        raise ValueError(f"not a lowercase substring: {text[:20]!r}")
    return item


class AnySubstring(TailTask):
    task = "any-substring"
    task_class = "Recursion"
    description = "TAIL any-substring: the set of distinct non-empty substrings of a string of length n (S 3-5, M 6-9, L 10-14)"
    ranges = {"S": (3, 5), "M": (6, 9), "L": (10, 14)}
    answer_format = "<all distinct substrings, comma-separated, in any order>"
    templates = (
        'List every distinct non-empty substring of "{text}".',
        'Find all contiguous substrings of the string "{text}" (each distinct substring once).',
        'What are all the different substrings (runs of consecutive characters, at least one long) of "{text}"?',
        'Enumerate the distinct non-empty substrings of "{text}", without repeats.',
        'Give the set of all substrings of "{text}"; a substring is a non-empty block of consecutive letters.',
    )

    paper_questions = (
        'List every distinct non-empty contiguous substring of the string "{text}", each once.',
        'Find all distinct substrings (contiguous, non-empty) of "{text}".',
        'Enumerate each different non-empty run of consecutive characters of "{text}" exactly once.',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        text = "".join(rng.choice(ALPHABET) for _ in range(n))
        return Instance({"text": text}, ordered(substrings(text)), {"n": n})

    def format_answer(self, answer) -> str:
        return ", ".join(answer)

    def parse_answer(self, text: str) -> list[str]:
        return parse_items(text, letters_item)

    def is_correct(self, predicted, gold) -> bool:
        return same_set(predicted, gold)

    def trace(self, instance: Instance) -> str:
        text = instance.fields["text"]
        lines = ["State: found = {} (empty set)."]
        found: list[str] = []
        for start in range(len(text)):
            suffix = text[start:]
            lines.append(f"Call substrings('{suffix}'): fetch its prefixes.")
            for end in range(1, len(suffix) + 1):
                prefix = suffix[:end]
                if prefix in found:
                    lines.append(f"  prefix '{prefix}': already in found, skip")
                else:
                    found.append(prefix)
                    lines.append(f"  prefix '{prefix}': new, add; found has {len(found)}")
            lines.append(f"Recurse on the rest '{text[start + 1:]}'." if start + 1 < len(text) else "Rest is empty: stop.")
        lines.append(f"Collected: {', '.join(found)}")
        return "\n".join(lines)
