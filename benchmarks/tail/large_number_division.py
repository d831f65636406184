"""large-number-division (TAIL, class Simulation): x1 / x2 by long division, to 4 decimal places.

Buckets (digits of each operand): S 2-5, M 6-10, L 11-20. x1 has n digits and x2 has m digits,
both positive integers without leading zeros. The answer is the quotient x1 / x2 TRUNCATED (not
rounded) after 4 decimal places, i.e. floor(x1 * 10^4 / x2) / 10^4. Any numerically equal plain
decimal is accepted ("12.5000" equals "12.5"); an answer with a non-zero fifth decimal, or one
rounded instead of truncated, is wrong. ``fidelity=paper``: x2 carries a decimal point with
probability 1/2, as Table C1 has it. In both modes a 0.0000 quotient (guessable) is at most 10%
of a bucket.
"""

from __future__ import annotations

import random
from decimal import Decimal

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.numbers import random_operand
from evalsuite.scorers.exact import parse_decimal

PLACES = 4


def divide(x1: int, x2: int | str, places: int = PLACES) -> Decimal:
    """Long division of x1 by x2 (an integer, or a decimal string), stopped after ``places``
    fractional digits."""
    dividend, divisor = scaled(x1, x2)
    return Decimal(dividend * 10**places // divisor).scaleb(-places)


def scaled(x1: int, x2: int | str) -> tuple[int, int]:
    """x1 and x2 multiplied by the power of ten that makes x2 an integer (same quotient)."""
    whole, _, fraction = str(x2).partition(".")
    return x1 * 10 ** len(fraction), int(whole + fraction)


class LargeNumberDivision(TailTask):
    task = "large-number-division"
    task_class = "Simulation"
    flexible_number = True
    description = (
        "TAIL long division x1 / x2 (digits S 2-5, M 6-10, L 11-20), quotient truncated to 4 decimals"
    )
    ranges = {"S": (2, 5), "M": (6, 10), "L": (11, 20)}
    answer_format = "<the quotient truncated (not rounded) to 4 decimal places, e.g. 12.3456>"
    templates = (
        "Compute {x1} / {x2}.",
        "What is {x1} divided by {x2}?",
        "Divide x1 = {x1} by x2 = {x2} using long division.",
        "Find the quotient of {x1} and {x2}.",
        "Calculate x1 / x2 where x1 = {x1} and x2 = {x2}.",
        "Perform the long division {x1} ÷ {x2}.",
    )

    paper_questions = (
        'Compute $x_1 / x_2$ for $x_1 = {x1}$ and $x_2 = {x2}$, truncated (not rounded) after 4 decimal places.',
        'Divide $x_1 = {x1}$ by $x_2 = {x2}$ by long division and give the quotient truncated to 4 decimal places.',
        'What is the quotient $x_1 \\div x_2$, truncated after the fourth decimal place, where $x_1 = {x1}$ and $x_2 = {x2}$?',
    )
    divergences = (
        'x2 is always an integer (the paper: x2 may carry a decimal point)',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n, m = draw_length(rng, self.ranges[bucket]), draw_length(rng, self.ranges[bucket])
        x1 = int(random_operand(rng, n, False))
        # paper (Table C1): x2 may carry a decimal point; here it always is an integer
        x2: int | str = random_operand(rng, m, rng.random() < 0.5) if self.paper else int(random_operand(rng, m, False))
        return Instance({"x1": x1, "x2": x2}, divide(x1, x2), {"n": n, "m": m})

    def is_trivial(self, instance: Instance) -> bool:
        return instance.answer == 0  # a 0.0000 quotient is guessable

    def format_answer(self, answer) -> str:
        return str(Decimal(answer).quantize(Decimal(1).scaleb(-PLACES)))

    def parse_answer(self, text: str) -> Decimal:
        return parse_decimal(text)

    def trace(self, instance: Instance) -> str:
        lines = []
        if "." in str(instance.fields["x2"]):
            x1, x2 = scaled(instance.fields["x1"], instance.fields["x2"])
            lines.append(f"Shift the decimal point of both operands until the divisor is an integer: {x1} / {x2}.")
        else:
            x1, x2 = instance.fields["x1"], int(instance.fields["x2"])
        digits = str(x1) + "0" * PLACES
        lines += [f"Divisor x2 = {x2}. Digits to bring down: {x1!s} then {PLACES} zeros after the point.",
                  "State: remainder = 0, quotient = ''."]
        remainder, quotient = 0, ""
        for step, digit in enumerate(digits, start=1):
            if step == len(str(x1)) + 1:
                quotient += "."
                lines.append(f"All digits of x1 used: write the decimal point; quotient = {quotient}")
            current = remainder * 10 + int(digit)
            q = current // x2
            lines.append(
                f"Step {step}: fetch remainder {remainder} and next digit {digit}: {remainder} * 10 + {digit} = {current}; "
                f"{current} // {x2} = {q} ({q} * {x2} = {q * x2}); remainder {current - q * x2}; quotient = {quotient + str(q)}"
            )
            remainder, quotient = current - q * x2, quotient + str(q)
        whole, _, frac = quotient.partition(".")
        lines.append(f"Drop leading zeros of the integer part: {int(whole)}.{frac}")
        return "\n".join(lines)
