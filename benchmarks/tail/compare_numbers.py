"""compare-numbers (TAIL, class Simulation): is x1 greater than, less than, or equal to x2?

Buckets (digits of each operand): S 5-10, M 11-20, L 21-50. Operands may carry a decimal point.
To keep the task about comparing digits rather than counting them, about half of the pairs
share their integer-part length and a common leading prefix, and one in ten is equal in value
(possibly written with an extra trailing fractional zero). The answer is one of '>', '<', '='
(x1 relative to x2); the words greater / less / equal are accepted too.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal

from benchmarks.tail.base import Instance, TailTask, draw_length
from benchmarks.tail.numbers import digit_count, random_operand

RELATION = re.compile(r"(<=|>=|==|!=|<|>|=)")
WORDS = {"greater": ">", "larger": ">", "bigger": ">", "less": "<", "smaller": "<", "equal": "="}


class CompareNumbers(TailTask):
    task = "compare-numbers"
    task_class = "Simulation"
    description = "TAIL compare two numbers x1 ? x2 (digits S 5-10, M 11-20, L 21-50), answer >, < or ="
    ranges = {"S": (5, 10), "M": (11, 20), "L": (21, 50)}
    answer_format = "> or < or = (one symbol: x1 relative to x2)"
    templates = (
        "Compare x1 = {x1} and x2 = {x2}. Answer with >, < or = (x1 relative to x2).",
        "Which relation holds between {x1} and {x2}? Reply >, < or =, read as '{x1} ? {x2}'.",
        "Is {x1} greater than, less than, or equal to {x2}? Answer with the symbol >, < or =.",
        "Decide whether x1 > x2, x1 < x2 or x1 = x2 for x1 = {x1}, x2 = {x2}; answer with the symbol.",
        "Given the numbers {x1} (x1) and {x2} (x2), output the comparison symbol >, < or = for x1 versus x2.",
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        lo, hi = self.ranges[bucket]
        style = rng.random()
        n = draw_length(rng, (lo, hi))
        x1 = random_operand(rng, n, rng.random() < 0.5)
        if style < 0.1:
            x2 = x1
            if "." in x1 and n < hi:
                x2 = x1 + "0"
        elif style < 0.55:
            x2 = near_miss(rng, x1)
        else:
            x2 = random_operand(rng, draw_length(rng, (lo, hi)), rng.random() < 0.5)
        a, b = Decimal(x1), Decimal(x2)
        answer = ">" if a > b else "<" if a < b else "="
        return Instance({"x1": x1, "x2": x2}, answer, {"n": digit_count(x1), "m": digit_count(x2)})

    def parse_answer(self, text: str) -> str:
        cleaned = text.strip().strip(".").lower()
        symbols = RELATION.findall(cleaned)
        if len(symbols) == 1 and symbols[0] in (">", "<", "=", "=="):
            return "=" if symbols[0] == "==" else symbols[0]
        words = [sym for word, sym in WORDS.items() if re.search(rf"\b{word}\b", cleaned)]
        if not symbols and len(set(words)) == 1:
            return words[0]
        raise ValueError(f"not one of >, <, =: {text[:40]!r}")

    def trace(self, instance: Instance) -> str:
        x1, x2 = instance.fields["x1"], instance.fields["x2"]
        a_int, _, a_frac = x1.partition(".")
        b_int, _, b_frac = x2.partition(".")
        lines = [f"Fetch x1 = {x1}: integer part {a_int} ({len(a_int)} digits), fraction '{a_frac}'.",
                 f"Fetch x2 = {x2}: integer part {b_int} ({len(b_int)} digits), fraction '{b_frac}'."]
        if len(a_int) != len(b_int):
            rel = ">" if len(a_int) > len(b_int) else "<"
            lines.append(f"Integer parts have {len(a_int)} vs {len(b_int)} digits, so x1 {rel} x2.")
            return "\n".join(lines)
        frac = max(len(a_frac), len(b_frac))
        a, b = a_int + a_frac.ljust(frac, "0"), b_int + b_frac.ljust(frac, "0")
        lines.append(f"Same integer length {len(a_int)}; pad fractions to {frac} digits: {a} vs {b}.")
        for pos, (da, db) in enumerate(zip(a, b, strict=False), start=1):
            lines.append(f"Step {pos}: fetch digit {pos} of x1 = {da} and of x2 = {db}.")
            if da != db:
                rel = ">" if da > db else "<"
                lines.append(f"Digits differ: {da} {rel} {db}, so x1 {rel} x2.")
                return "\n".join(lines)
        lines.append("All digits equal, so x1 = x2.")
        return "\n".join(lines)


def near_miss(rng: random.Random, x1: str) -> str:
    """Same shape as x1, same leading digits, one later digit changed."""
    digits = [i for i, ch in enumerate(x1) if ch.isdigit()]
    keep = rng.randint(1, len(digits) - 1) if len(digits) > 1 else 0
    chars = list(x1)
    for i in digits[keep:]:
        chars[i] = str(rng.randint(0, 9))
    if chars == list(x1):
        i = digits[-1]
        chars[i] = str((int(chars[i]) + 1) % 10)
    if chars[0] == "0" and len(digits) > 1 and x1[1:2] != ".":
        chars[0] = x1[0]
    return "".join(chars)
