"""large-number-division (TAIL, class Simulation): x1 / x2 by long division, to 4 decimal places.

Buckets (digits of each operand): S 2-5, M 6-10, L 11-20. x1 has n digits and x2 has m digits,
both positive integers without leading zeros. The answer is the quotient x1 / x2 TRUNCATED (not
rounded) after 4 decimal places, i.e. floor(x1 * 10^4 / x2) / 10^4. Any numerically equal plain
decimal is accepted ("12.5000" equals "12.5"); an answer with a non-zero fifth decimal, or one
rounded instead of truncated, is wrong.
"""

from __future__ import annotations

import random
from decimal import Decimal

from benchmarks.tail.base import Instance, TailTask, draw_length
from benchmarks.tail.numbers import random_operand
from scorers.exact import parse_decimal

PLACES = 4


def divide(x1: int, x2: int, places: int = PLACES) -> Decimal:
    """Long division of x1 by x2, stopped after ``places`` fractional digits."""
    return Decimal(x1 * 10**places // x2).scaleb(-places)


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

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        n, m = draw_length(rng, self.ranges[bucket]), draw_length(rng, self.ranges[bucket])
        x1, x2 = int(random_operand(rng, n, False)), int(random_operand(rng, m, False))
        return Instance({"x1": x1, "x2": x2}, divide(x1, x2), {"n": n, "m": m})

    def format_answer(self, answer) -> str:
        return str(Decimal(answer).quantize(Decimal(1).scaleb(-PLACES)))

    def parse_answer(self, text: str) -> Decimal:
        return parse_decimal(text)

    def trace(self, instance: Instance) -> str:
        x1, x2 = instance.fields["x1"], instance.fields["x2"]
        digits = str(x1) + "0" * PLACES
        lines = [f"Divisor x2 = {x2}. Digits to bring down: {x1!s} then {PLACES} zeros after the point.",
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
