"""word-flip (TAIL, class Simulation): reverse a sentence character by character.

Buckets (n = letters in the sentence, spaces not counted): S 10-20, M 21-50, L 51-100. The
sentence is lowercase English words separated by single spaces. The answer is the whole
sentence written backwards character by character ("the cat" -> "tac eht"), spaces included.
Graded as an exact string: one extra, missing or moved space makes it wrong; only a pair of
quotes around the whole answer is forgiven.
"""

from __future__ import annotations

import random

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.words import sentence_with_letters
from evalsuite.scorers.exact import parse_exact_string


def flip(sentence: str) -> str:
    out = []
    for position in range(len(sentence) - 1, -1, -1):
        out.append(sentence[position])
    return "".join(out)


class WordFlip(TailTask):
    task = "word-flip"
    task_class = "Simulation"
    description = "TAIL word-flip: reverse a sentence of n letters character by character (S 10-20, M 21-50, L 51-100), exact string"
    ranges = {"S": (10, 20), "M": (21, 50), "L": (51, 100)}
    answer_format = "<the reversed sentence, spaces kept exactly>"
    templates = (
        'Reverse the sentence "{sentence}" character by character.',
        'Write the sentence "{sentence}" backwards, character by character: the last character comes first, '
        'and each space is reversed along with the letters.',
        'Flip the following text so that its last character comes first: "{sentence}"',
        'Read "{sentence}" from right to left and write down every character, spaces included.',
        'Given the sentence "{sentence}", output the same characters in reverse order.',
    )

    paper_questions = (
        'Reverse the sentence "{sentence}" character by character: the last character comes first, and every space is a character that is reversed with the rest.',
        'Write the string "{sentence}" in reverse character order (spaces included, each one moved like any other character).',
        'Output the characters of "{sentence}" from the last one to the first one, spaces included.',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        sentence = sentence_with_letters(rng, n)
        return Instance({"sentence": sentence}, flip(sentence), {"n": n})

    def parse_answer(self, text: str) -> str:
        return parse_exact_string(text)

    def trace(self, instance: Instance) -> str:
        sentence = instance.fields["sentence"]
        lines = [f"Sentence has {len(sentence)} characters (spaces count). State: output = ''."]
        out = ""
        for step, position in enumerate(range(len(sentence) - 1, -1, -1), start=1):
            ch = sentence[position]
            out += ch
            shown = "space" if ch == " " else f"'{ch}'"
            lines.append(f"Step {step}: fetch character {position + 1} = {shown}; output = '{out}'")
        return "\n".join(lines)
