"""count-letters (TAIL, class Enumeration): how often one letter occurs in a sentence of n words.

Buckets (n = words in the sentence): S 2-6, M 7-10, L 11-20. The sentence is lowercase English
words separated by single spaces; the letter is one of the sentence's letters (9 times in 10) or
any letter a-z. The answer is the number of occurrences of that letter (an integer, 0 possible).
"""

from __future__ import annotations

import random
import string

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.words import sentence_with_words
from evalsuite.scorers.exact import parse_int


def count_letter(sentence: str, letter: str) -> int:
    total = 0
    for word in sentence.split(" "):
        for ch in word:
            if ch == letter:
                total += 1
    return total


class CountLetters(TailTask):
    task = "count-letters"
    task_class = "Enumeration"
    flexible_number = True
    description = "TAIL count-letters: occurrences of one letter in a sentence of n words (S 2-6, M 7-10, L 11-20), integer"
    ranges = {"S": (2, 6), "M": (7, 10), "L": (11, 20)}
    answer_format = "<the count, an integer>"
    templates = (
        'How many times does the letter "{letter}" appear in the sentence "{sentence}"?',
        'Count the occurrences of "{letter}" in: "{sentence}".',
        'In the text "{sentence}", how many letters are "{letter}"?',
        'Go through "{sentence}" word by word and count every "{letter}". What is the total?',
        'What is the number of "{letter}" characters in the sentence "{sentence}"?',
    )

    paper_questions = (
        'How many times does the letter "{letter}" appear in the sentence "{sentence}"?',
        'Count the occurrences of the letter "{letter}" in "{sentence}".',
        'In the sentence "{sentence}", how often does the letter "{letter}" occur?',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n = draw_length(rng, self.ranges[bucket])
        sentence = sentence_with_words(rng, n)
        pool = sorted(set(sentence) - {" "}) if rng.random() < 0.9 else string.ascii_lowercase
        letter = rng.choice(pool)
        return Instance({"sentence": sentence, "letter": letter}, count_letter(sentence, letter), {"n": n})

    def parse_answer(self, text: str) -> int:
        return parse_int(text)

    def trace(self, instance: Instance) -> str:
        letter = instance.fields["letter"]
        lines = [f"Letter to count: '{letter}'. State: total = 0."]
        total = 0
        for number, word in enumerate(instance.fields["sentence"].split(" "), start=1):
            hits = [i + 1 for i, ch in enumerate(word) if ch == letter]
            total += len(hits)
            where = f"at positions {', '.join(map(str, hits))}" if hits else "none"
            lines.append(f"Word {number} '{word}': fetch its letters; '{letter}' {where}; +{len(hits)}; total = {total}")
        return "\n".join(lines)
