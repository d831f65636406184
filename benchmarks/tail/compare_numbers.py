"""compare-numbers (TAIL, class Simulation): is x1 greater than, less than, or equal to x2?

Buckets (digits of each operand): S 5-10, M 11-20, L 21-50. Operands may carry a decimal point
(``fidelity=paper``: only x2, as in Table C1).
To keep the task about comparing digits rather than counting them, about half of the pairs
share their integer-part length and a common leading prefix, and one in ten is equal in value
(possibly written with an extra trailing fractional zero). The answer is one of '>', '<', '='
(x1 relative to x2), graded by meaning (``read_relation``): operand order counts ("x2 < x1" is
``>``), words work as symbols, and a negated or non-strict relation ("not less", ">=") names none
of the three, so it is a failure with reason ``ambiguous``.
"""

from __future__ import annotations

import bisect
import random
import re
from decimal import Decimal

from evalsuite.benchmarks.tail.base import Instance, TailTask, draw_length
from evalsuite.benchmarks.tail.numbers import digit_count, random_operand
from evalsuite.core.extraction import AmbiguousAnswer
from evalsuite.core.types import Sample

# What an answer may say, in reading order: an operand (x1, x2, or one of the two numbers), a
# relation (symbol, LaTeX or words) or something that makes the relation not one of >, <, =.
TOKENS = re.compile(
    r"""(?P<var>\bx\s*_?\{?\s*(?P<index>[12])\s*\}?)
      | (?P<nonstrict>>=|<=|=>|=<|≥|≤|⩾|⩽|\\geq?\b|\\leq?\b|\bat\s+(?:least|most)\b|\bor\s+equal|\bno\s+(?:more|less|greater|smaller)\b)
      | (?P<negation>!=|≠|\\neq?\b|\bnot\b|n't\b|\bnever\b|\bneither\b|\bnor\b|\bunequal\b|\bdifferent\b)
      | (?P<num>[+-]?\d+(?:\.\d*)?|[+-]?\.\d+)
      | (?P<gt>>|\\gt\b|\bgreater\b|\blarger\b|\bbigger\b|\bhigher\b|\bmore\b|\bexceeds?\b)
      | (?P<lt><|\\lt\b|\bless\b|\bsmaller\b|\blower\b|\bfewer\b)
      | (?P<eq>==?|\bequals?\b|\bsame\b|\bidentical\b)""",
    re.IGNORECASE | re.VERBOSE,
)
FLIPPED = {">": "<", "<": ">", "=": "="}
RELATION_OF = {"gt": ">", "lt": "<", "eq": "="}
# A reply may restate its answer: "> (x1 is greater than x2)"; each clause is read on its own.
CLAUSE = re.compile(r"[(),;]|\band\b|\bsince\b|\bbecause\b|\bso\b|\bi\.e\.|\bthus\b|\bhence\b", re.IGNORECASE)
RELATION_LINE = re.compile(r"^.*(?:[<>=]|\\[gl]t\b|greater|larger|bigger|less|smaller|equal).*$", re.IGNORECASE | re.MULTILINE)


def read_relation(text: str, x1: str | None = None, x2: str | None = None) -> str:
    """The relation of x1 to x2 that an answer states, by meaning: ``x2 < x1`` is ``>``,
    ``x2 is larger`` is ``<``. Raises AmbiguousAnswer for a negated or non-strict relation
    (it names none of >, <, = for certain) or two different relations, ValueError when no
    relation or an unknown operand is written. ``x1`` / ``x2``: the two numbers, so that an
    answer may name them by value."""
    values = {1: Decimal(x1) if x1 else None, 2: Decimal(x2) if x2 else None}
    read: set[str] = set()
    restated: list[str] = []
    for clause in CLAUSE.split(text):
        read |= clause_relations(clause, values, text, restated)
    if not read and restated:
        raise ValueError(f"only restates the operands ({restated[0].strip()[:40]!r}): no relation between them")
    if not read:
        raise ValueError(f"not one of >, <, =: {text[:40]!r}")
    if len(read) > 1:
        raise AmbiguousAnswer(f"two different relations ({', '.join(sorted(read))}) in {text[:40]!r}")
    return read.pop()


def clause_relations(clause: str, values: dict[int, Decimal | None], text: str,
                     restated: list[str] | None = None) -> set[str]:
    """The relations one clause states, each oriented by the operands written beside it. An
    operand set equal to its own value ("x2 = 58988") restates it and states no relation; such
    clauses are appended to ``restated``."""
    relations: list[tuple[int, str]] = []
    operands: list[tuple[int, int | None]] = []  # (token position, 1 | 2 | None: another number)
    named: set[int] = set()  # positions of operands named as x1 / x2 rather than by value
    for position, match in enumerate(TOKENS.finditer(clause)):
        kind = match.lastgroup
        if kind in ("nonstrict", "negation"):
            word = "non-strict" if kind == "nonstrict" else "negated"
            raise AmbiguousAnswer(f"{word} relation {match.group(0)!r} names none of >, <, =")
        if kind == "var":
            operands.append((position, int(match.group("index"))))
            named.add(position)
        elif kind == "num":
            operands.append((position, operand_of(match.group(0), values)))
        elif kind in RELATION_OF:
            relations.append((position, RELATION_OF[kind]))
    read = set()
    places = [p for p, _ in operands]  # in order: the operands beside a relation by bisection (linear overall)
    for index, (position, relation) in enumerate(relations):
        low = relations[index - 1][0] if index else -1
        high = relations[index + 1][0] if index + 1 < len(relations) else len(operands) + len(relations) + 1
        before = bisect.bisect_left(places, position) - 1
        after = bisect.bisect_right(places, position)
        left = operands[before] if before >= 0 and places[before] > low else None
        right = operands[after] if after < len(places) and places[after] < high else None
        if relation == "=" and left and right and left[1] == right[1] is not None \
                and (left[0] in named) != (right[0] in named):
            if restated is not None:
                restated.append(clause)
            continue  # "x2 = 58988": the operand and its value, no comparison
        read.add(oriented(relation, left[1] if left else 0, right[1] if right else 0, text))
    return read


def operand_of(number: str, values: dict[int, Decimal | None]) -> int | None:
    """1 or 2 for a number equal to x1 or x2 (both when they are equal: 1); None otherwise."""
    value = Decimal(number)
    for index in (1, 2):
        if values[index] is not None and values[index] == value:
            return index
    return None


def oriented(relation: str, left: int | None, right: int | None, text: str) -> str:
    """The relation as x1 ? x2, given the operands written left and right of it (0: none)."""
    if left is None or right is None:
        raise ValueError(f"an operand is neither x1 nor x2 in {text[:40]!r}")
    if relation == "=" or (left, right) in ((1, 2), (1, 0), (0, 2), (0, 0)):
        if left and left == right:
            raise ValueError(f"compares an operand with itself in {text[:40]!r}")
        return relation
    if (left, right) in ((2, 1), (2, 0), (0, 1)):
        return FLIPPED[relation]
    raise ValueError(f"compares an operand with itself in {text[:40]!r}")


def last_relation_line(text: str) -> str | None:
    """The flexible span: the last line that states a relation."""
    found = RELATION_LINE.findall(text)
    return found[-1] if found else None


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

    paper_questions = (
        'Compare $x_1 = {x1}$ and $x_2 = {x2}$: is $x_1 > x_2$, $x_1 < x_2$ or $x_1 = x_2$? Answer with the symbol that holds for $x_1$ relative to $x_2$.',
        'Which of $>$, $<$, $=$ holds in $x_1 \\,?\\, x_2$ for $x_1 = {x1}$ and $x_2 = {x2}$?',
        'Given $x_1 = {x1}$ and $x_2 = {x2}$, give the symbol ($>$, $<$ or $=$) that makes $x_1 \\,?\\, x_2$ true.',
    )
    divergences = (
        'x1 may carry a decimal point as well (the paper: only x2)',
    )

    def draw(self, rng: random.Random, bucket: str) -> Instance:
        lo, hi = self.ranges[bucket]
        style = rng.random()
        n = draw_length(rng, (lo, hi))
        x1 = random_operand(rng, n, rng.random() < 0.5 and not self.paper)  # paper: a point in x2 only
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
        return read_relation(text)

    def read_answer(self, text: str, sample: Sample) -> str:
        operands = sample.metadata.get("operands") or [None, None]
        return read_relation(text, operands[0], operands[1])

    def flexible_span(self, text: str) -> str | None:
        return last_relation_line(text)

    def extra_metadata(self, instance: Instance) -> dict:
        return {"operands": [instance.fields["x1"], instance.fields["x2"]]}

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
