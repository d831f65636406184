"""Checkers for algorithmic answers: exact strings, integers, decimals, sets and sequences.

Each parser turns answer text into a value or raises ValueError with a short reason; each
checker compares a parsed value with the gold one. Nothing here evaluates the text as code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

INTEGER = re.compile(r"^[+-]?\d+$")
DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# One number in a labelled answer ("Index 4", "18 pairs", "224 (total benefit)"); thousands
# commas allowed, a sign only where it cannot be a hyphen inside a word; "0-based" is a word.
LABELLED_NUMBER = re.compile(r"(?<![\w.])[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?!-[A-Za-z])(?![\w.]*\d)")
NUMBER_WORD = re.compile(r"\d+-[A-Za-z]+")
LABEL_TEXT = re.compile(r"^[A-Za-z\s()\[\]:=,.'\-]*$")
MAX_ANSWER_CHARS = 100_000


def _guard(text: str) -> str:
    if len(text) > MAX_ANSWER_CHARS:
        raise ValueError(f"answer longer than {MAX_ANSWER_CHARS} characters")
    return text


def labelled_number(text: str) -> str | None:
    """The one number of an answer that labels it with words (``Index 4``, ``18 pairs``,
    ``7 times``, ``224 (total benefit)``); None when the answer holds no number or other
    symbols; ValueError when it holds two or more numbers (which one is meant is not said)."""
    numbers = list(LABELLED_NUMBER.finditer(text))
    if len(numbers) > 1:
        shown = ", ".join(m.group(0) for m in numbers[:4])
        raise ValueError(f"two or more numbers in the answer ({shown}): {text[:40]!r}")
    if not numbers:
        return None
    rest = NUMBER_WORD.sub(" ", text[: numbers[0].start()] + " " + text[numbers[0].end():])
    return numbers[0].group(0) if LABEL_TEXT.match(rest) else None


def parse_int(text: str) -> int:
    """An integer, written alone or with label words around it (see ``labelled_number``)."""
    cleaned = _guard(text).strip().rstrip(".").replace(",", "").replace(" ", "")
    if INTEGER.match(cleaned):
        return int(cleaned)
    number = labelled_number(text)
    if number is not None and INTEGER.match(number.replace(",", "")):
        return int(number.replace(",", ""))
    raise ValueError(f"not an integer: {text[:40]!r}")


def parse_decimal(text: str) -> Decimal:
    """A plain decimal number (no exponent, no thousands separators other than ','), written
    alone or with label words around it (see ``labelled_number``)."""
    try:
        return parse_plain_decimal(text)
    except ValueError:
        number = labelled_number(text)
        if number is None:
            raise
        return parse_plain_decimal(number)


def parse_plain_decimal(text: str) -> Decimal:
    cleaned = _guard(text).strip().replace(",", "").replace(" ", "")
    if cleaned.endswith(".") and cleaned.count(".") > 1:
        cleaned = cleaned[:-1]  # "3.5." : a sentence-ending period
    if not DECIMAL.match(cleaned):
        raise ValueError(f"not a decimal number: {text[:40]!r}")
    try:
        return Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the regex already rules this out
        raise ValueError(f"not a decimal number: {text[:40]!r}") from None


def parse_list(text: str, item=str.strip) -> list:
    """Items separated by commas (or whitespace when there is no comma), brackets optional."""
    body = _guard(text).strip()
    if body[:1] in "[({" and body[-1:] in "])}":
        body = body[1:-1]
    parts = body.split(",") if "," in body else body.split()
    return [item(p.strip().strip("'\"")) for p in parts if p.strip()]


def same_set(predicted: Iterable, gold: Iterable) -> bool:
    predicted, gold = list(predicted), list(gold)
    # Duplicates in a set answer are a mistake, not a harmless repetition.
    return len(predicted) == len(set(predicted)) and set(predicted) == set(gold)


def same_sequence(predicted: Iterable, gold: Iterable) -> bool:
    return list(predicted) == list(gold)


EMPTY_WORDS = frozenset({"none", "empty", "no solutions", "no solution", "no primes", "[]", "{}", "∅"})
PAIR = re.compile(r"\(\s*([+-]?\d+)\s*,\s*([+-]?\d+)\s*\)")
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "`": "`"}


def parse_exact_string(text: str) -> str:
    """The text as written, inner spaces kept; only one pair of enclosing quotes is dropped.

    Leading and trailing whitespace never reaches here (the extractor strips it), so inner
    whitespace is the only whitespace that counts, and an extra inner space makes it differ.
    """
    body = _guard(text).strip()
    if len(body) >= 2 and QUOTES.get(body[0]) == body[-1]:
        body = body[1:-1]
    if not body:
        raise ValueError("empty answer")
    return body


def is_empty_answer(text: str) -> bool:
    return text.strip().strip(".").strip().lower() in EMPTY_WORDS


def parse_items(text: str, item=str.strip) -> list:
    """A comma-separated list (see ``parse_list``), where 'none' / 'empty' / '[]' mean no items."""
    if is_empty_answer(_guard(text)):
        return []
    items = parse_list(text, item)
    if not items:
        raise ValueError("no items")
    return items


def parse_int_list(text: str) -> list[int]:
    return parse_items(text, parse_int)


def parse_pairs(text: str) -> list[tuple[int, int]]:
    """'(x1, y1), (x2, y2)' -> [(x1, y1), (x2, y2)]; nothing but pairs, commas and spaces allowed."""
    body = _guard(text).strip()
    if is_empty_answer(body):
        return []
    if body[:1] in "[{" and body[-1:] in "]}":
        body = body[1:-1]
    pairs = [(int(a), int(b)) for a, b in PAIR.findall(body)]
    rest = PAIR.sub("", body).replace(",", "").replace(";", "").strip().rstrip(".")
    if rest or not pairs:
        raise ValueError(f"not a list of (x, y) pairs: {text[:40]!r}")
    return pairs
