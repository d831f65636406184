"""evalsuite's strict reading of a SMolInstruct reply: the task's own tag, else our extraction rule.

The answer is the last ``<TAG> ... </TAG>`` of the task's output tag (``SMILES``, ``MOLFORMULA``,
``IUPAC``, ``NUMBER``, ``BOOLEAN``), competing by position with the answer tag, ``\\boxed{}`` and a
``Final Answer:`` line (``evalsuite.core.extraction``); a reply that is nothing but the answer is
read whole. Unlike OpenCompass, a longer reply without any marker is a failed extraction.
"""

from __future__ import annotations

import re
from functools import cache

from evalsuite.core.extraction import extract_answer
from evalsuite.core.types import Prediction

STAGES = ("answer-tag", "boxed", "final-answer")
MAX_WHOLE_REPLY_WORDS = 12  # a reply "that is the answer": a name or a formula, not a paragraph


@cache
def tag_marker(tag: str) -> dict[str, re.Pattern[str]]:
    return {f"{tag.lower()}-tag": re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL)}


def tagged(reply: str | None, tag: str, *, single_token: bool) -> Prediction:
    found = extract_answer(reply, STAGES, markers=tag_marker(tag), fallback_whole_reply=True)
    if not found.ok or not found.answer:
        return Prediction.failed(found.failure or "no answer found", stage=found.stage)
    answer = found.answer.strip()
    if found.stage == "whole-reply":
        words = answer.split()
        if (single_token and len(words) != 1) or len(words) > MAX_WHOLE_REPLY_WORDS:
            return Prediction.failed(f"no <{tag}> answer found", stage=found.stage)
    if single_token and len(answer.split()) != 1:
        return Prediction.failed(f"invalid: the answer is not one SMILES token: {answer[:80]!r}", stage=found.stage)
    return Prediction(value=answer, stage=found.stage)
