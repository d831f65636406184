"""Molecular formulas as element counts: ``C2H6O`` equals ``H6C2O``; an unknown element is invalid.

A formula is a sequence of element symbols, each with an optional count, with optional bracketed
groups (``Ca(OH)2``) and an optional trailing charge (``+``, ``2-``). Two formulas match when
their element -> count maps (charge included) are equal, so the order the atoms are written in
does not matter. Elements are checked against RDKit's periodic table, so ``Xy2`` is invalid here
(the OpenCompass convention, ``evalsuite.scorers.opencompass.oc_element_counts``, accepts it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_FORMULA_CHARS = 500
TOKEN = re.compile(r"([A-Z][a-z]?)(\d*)|(\()|(\))(\d*)")
CHARGE = re.compile(r"(\d*)([+-])(\d*)$")


@dataclass(frozen=True, slots=True)
class Formula:
    """Element counts of a formula (``+``/``-`` keys hold a charge), or why it could not be read."""

    counts: tuple[tuple[str, int], ...] | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.counts is not None


@lru_cache(maxsize=1)
def _elements() -> frozenset[str]:
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    return frozenset(table.GetElementSymbol(z) for z in range(1, 119))


def parse_formula(text: str) -> Formula:
    text = (text or "").strip().replace(" ", "")
    if not text:
        return Formula(None, "empty formula")
    if len(text) > MAX_FORMULA_CHARS:
        return Formula(None, f"formula longer than {MAX_FORMULA_CHARS} characters")
    counts: dict[str, int] = {}
    charge = CHARGE.search(text)
    if charge and (charge.group(1) or charge.group(3) or charge.start() > 0):
        amount = int(charge.group(1) or charge.group(3) or 1)
        counts[charge.group(2)] = amount
        text = text[: charge.start()]
    stack: list[dict[str, int]] = [{}]
    pos = 0
    elements = _elements()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None:
            return Formula(None, f"not a formula: unexpected {text[pos:pos + 10]!r}")
        symbol, number, opened, _closed, multiplier = match.groups()
        if symbol:
            if symbol not in elements:
                return Formula(None, f"unknown element {symbol!r}")
            stack[-1][symbol] = stack[-1].get(symbol, 0) + int(number or 1)
        elif opened:
            stack.append({})
        else:
            if len(stack) == 1:
                return Formula(None, "unbalanced ')'")
            group = stack.pop()
            for element, count in group.items():
                stack[-1][element] = stack[-1].get(element, 0) + count * int(multiplier or 1)
        pos = match.end()
    if len(stack) != 1:
        return Formula(None, "unbalanced '('")
    if not stack[0]:
        return Formula(None, "formula has no elements")
    counts.update(stack[0])
    return Formula(tuple(sorted(counts.items())))


def same_formula(predicted: str, gold: str) -> bool:
    a, b = parse_formula(predicted), parse_formula(gold)
    return a.ok and b.ok and a.counts == b.counts
