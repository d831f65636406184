"""large-number-addition (TAIL, class Simulation): x1 + x2 for operands of n and m digits.

Buckets (digits of each operand): S 10-30, M 31-40, L 41-50. Each operand carries a decimal
point at a random inner position with probability 1/2 (``fidelity=paper``: only x2, as in
Table C1). The answer is the exact sum; any
numerically equal plain decimal is accepted ("14.50" equals "14.5").
"""

from __future__ import annotations

import random
from decimal import Decimal, localcontext

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.numbers import canonical_decimal, random_operand
from evalsuite.scorers.exact import parse_decimal


class LargeNumberAddition(TailTask):
    task = "large-number-addition"
    task_class = "Simulation"
    flexible_number = True
    description = "TAIL large-number addition x1 + x2 (digits S 10-30, M 31-40, L 41-50), exact sum"
    ranges = {"S": (10, 30), "M": (31, 40), "L": (41, 50)}
    answer_format = "<the exact sum as a plain decimal number>"
    templates = (
        "Compute the sum {x1} + {x2}.",
        "What is {x1} plus {x2}?",
        "Add the two numbers {x1} and {x2} and give the exact result.",
        "Calculate x1 + x2 where x1 = {x1} and x2 = {x2}.",
        "Find the exact value of {x1} + {x2}, digit by digit.",
        "Two numbers are given: {x1} and {x2}. What is their sum?",
    )

    paper_questions = (
        'What is $x_1 + x_2$ for $x_1 = {x1}$ and $x_2 = {x2}$?',
        'Compute the exact sum $x_1 + x_2$, where $x_1 = {x1}$ and $x_2 = {x2}$.',
        'Add $x_2 = {x2}$ to $x_1 = {x1}$ and give the exact result.',
    )
    divergences = (
        'x1 may carry a decimal point as well (the paper: only x2)',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n, m = draw_length(rng, self.ranges[bucket]), draw_length(rng, self.ranges[bucket])
        x1 = random_operand(rng, n, rng.random() < 0.5 and not self.paper)  # paper: a point in x2 only
        x2 = random_operand(rng, m, rng.random() < 0.5)
        with localcontext() as ctx:
            ctx.prec = 1000  # the default 28 significant digits would round 50-digit sums
            total = Decimal(x1) + Decimal(x2)
        return Instance({"x1": x1, "x2": x2}, total, {"n": n, "m": m})

    def format_answer(self, answer) -> str:
        return canonical_decimal(Decimal(answer))

    def parse_answer(self, text: str) -> Decimal:
        return parse_decimal(text)

    def trace(self, instance: Instance) -> str:
        x1, x2 = instance.fields["x1"], instance.fields["x2"]
        a_int, _, a_frac = x1.partition(".")
        b_int, _, b_frac = x2.partition(".")
        frac = max(len(a_frac), len(b_frac))
        width = max(len(a_int), len(b_int))
        a = a_int.rjust(width, "0") + a_frac.ljust(frac, "0")
        b = b_int.rjust(width, "0") + b_frac.ljust(frac, "0")
        lines = [
            f"Align at the decimal point: x1 = {a_int.rjust(width, '0')}.{a_frac.ljust(frac, '0')}, "
            f"x2 = {b_int.rjust(width, '0')}.{b_frac.ljust(frac, '0')} ({frac} fractional digits).",
            "State: position = rightmost digit, carry = 0, written = ''.",
        ]
        carry, written = 0, ""
        for step, pos in enumerate(range(len(a) - 1, -1, -1), start=1):
            da, db = int(a[pos]), int(b[pos])
            total = da + db + carry
            written = str(total % 10) + written
            lines.append(
                f"Step {step}: fetch x1 digit {da} and x2 digit {db}, carry {carry}; "
                f"{da} + {db} + {carry} = {total}; write {total % 10}, carry {total // 10}; written = {written}"
            )
            carry = total // 10
        if carry:
            written = str(carry) + written
            lines.append(f"Final carry {carry} is written in front: written = {written}")
        if frac:
            written = written[: len(written) - frac] + "." + written[len(written) - frac :]
            lines.append(f"Place the decimal point {frac} digits from the right: {written}")
        return "\n".join(lines)
