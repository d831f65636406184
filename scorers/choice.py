"""A multiple-choice letter read strictly: the answer (answer tag, ``\\boxed{}``, ``Final Answer:``
line, or a reply that is only the answer; ``evalsuite.core.extraction``) must be one option
letter, alone or as ``(C)``, ``C.``, ``C)`` or ``C: text``. "A fine question" is no letter.
"""

from __future__ import annotations

import re
from functools import cache

from evalsuite.core.extraction import extract_answer
from evalsuite.core.types import Prediction

STAGES = ("answer-tag", "boxed", "final-answer")
MAX_LINE_CHARS = 2000


@cache
def letter_pattern(letters: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*\(?([{letters}])\)?(?:\s*$|[.:)]\s*(?:\S.*)?$)", re.DOTALL)


def read_letter(reply: str | None, letters: str = "ABCD") -> Prediction:
    found = extract_answer(reply, STAGES, fallback_whole_reply=True)
    if not found.ok or not found.answer:
        return Prediction.failed(found.failure or "no answer found", stage=found.stage)
    answer = found.answer.strip()
    if found.stage == "whole-reply" and "\n" in answer:
        return Prediction.failed("no answer found: the reply is more than the letter", stage=found.stage)
    match = letter_pattern(letters).match(answer[:MAX_LINE_CHARS])
    if match is None:
        return Prediction.failed(f"invalid: not one of {', '.join(letters)}: {answer[:40]!r}", stage=found.stage)
    return Prediction(value=match.group(1), stage=found.stage)
