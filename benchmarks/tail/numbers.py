"""Digit-string operands shared by the number tasks: a length counts digits, a '.' may sit inside."""

from __future__ import annotations

import random
from decimal import Decimal


def random_operand(rng: random.Random, digits: int, decimal_point: bool) -> str:
    """A number of exactly ``digits`` digits, no leading zero, optionally with an inner '.'."""
    text = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(digits - 1))
    if decimal_point and digits >= 2:
        cut = rng.randint(1, digits - 1)
        text = text[:cut] + "." + text[cut:]
    return text


def canonical_decimal(value: Decimal) -> str:
    """Plain notation without trailing fractional zeros: 14.50 -> '14.5', 7.0 -> '7'."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def digit_count(operand: str) -> int:
    return sum(ch.isdigit() for ch in operand)


def join(values) -> str:
    """Items as the prompts and answers show them: '3, 1, 2'."""
    return ", ".join(str(v) for v in values)
