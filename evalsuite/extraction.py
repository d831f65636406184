"""Find the answer inside a free-form reply. Shared by every benchmark.

Order of work: drop ``<think>`` blocks (an unclosed one means the model never answered), then
try the stages a benchmark asks for, in its order, and report which one matched. When no stage
matches, a refusal is told apart from a plain missing answer, since the two mean different
things for a model builder. Nothing here evaluates model output: it is only searched as text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
ANSWER_TAGS = (
    re.compile(r"\[ANSWER\](.*?)\[/ANSWER\]", re.DOTALL | re.IGNORECASE),
    re.compile(r"<answer>(.*?)</answer>", re.DOTALL | re.IGNORECASE),
)
# Anywhere on a line: small models often write "The answer is `Final Answer: 42`."
FINAL_ANSWER_LINE = re.compile(
    r"final[ \t]+answer[ \t]*[*_]*[ \t]*[:：][ \t]*[*_]*[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
FENCED_CODE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
REFUSAL = re.compile(
    r"\b(?:I\s+(?:cannot|can't|can\s+not|won't|am\s+unable\s+to|'m\s+unable\s+to|am\s+not\s+able\s+to)"
    r"|I'm\s+sorry|I\s+am\s+sorry|as\s+an\s+AI\b|unable\s+to\s+(?:determine|answer|provide|help)"
    r"|I\s+do\s+not\s+(?:know|have\s+(?:enough|sufficient))|I\s+don't\s+(?:know|have\s+(?:enough|sufficient)))",
    re.IGNORECASE,
)
MAX_JSON_ATTEMPTS = 400

ALL_STAGES = ("answer-tag", "boxed", "final-answer", "fenced-code", "json")


@dataclass(frozen=True, slots=True)
class Extraction:
    """The answer text found in a reply, the stage that found it, or why none was found."""

    answer: str | None
    stage: str | None
    failure: str | None = None
    parsed_json: Any = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def strip_think(text: str) -> tuple[str, bool]:
    """Remove closed think blocks; report whether an unclosed one remains."""
    without = THINK_BLOCK.sub("", text)
    return without, bool(THINK_OPEN.search(without))


def last_answer_tag(text: str) -> str | None:
    found: tuple[int, str] | None = None
    for pattern in ANSWER_TAGS:
        for match in pattern.finditer(text):
            if found is None or match.start() > found[0]:
                found = (match.start(), match.group(1))
    return found[1].strip() if found else None


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` whose braces balance."""
    marker = "\\boxed{"
    pos = text.rfind(marker)
    while pos != -1:
        depth, start = 1, pos + len(marker)
        for i in range(start, len(text)):
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return text[start:i].strip()
        pos = text.rfind(marker, 0, pos)
    return None


def final_answer_line(text: str) -> str | None:
    """The text after the last ``Final Answer:``; if the line is empty, the next non-empty line."""
    matches = list(FINAL_ANSWER_LINE.finditer(text))
    if not matches:
        return None
    match = matches[-1]
    answer = clean_markup(match.group(1))
    if answer:
        return answer
    for line in text[match.end():].splitlines():
        if line.strip():
            return clean_markup(line)
    return None


def last_fenced_code(text: str) -> str | None:
    matches = FENCED_CODE.findall(text)
    return matches[-1].strip() if matches else None


def last_json(text: str) -> tuple[str, Any] | None:
    """The last top-level JSON object or array in the text, decoded (bounded work)."""
    decoder = json.JSONDecoder()
    found: tuple[str, Any] | None = None
    pos, attempts = 0, 0
    while attempts < MAX_JSON_ATTEMPTS:
        starts = [i for i in (text.find("{", pos), text.find("[", pos)) if i != -1]
        if not starts:
            break
        start = min(starts)
        attempts += 1
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            pos = start + 1
            continue
        if isinstance(value, (dict, list)):
            found = (text[start:end], value)
        pos = end
    return found


def clean_markup(answer: str) -> str:
    """Drop markdown emphasis and math delimiters wrapped around an answer."""
    answer = answer.strip()
    for _ in range(3):
        stripped = answer.strip()
        if len(stripped) > 1 and stripped[-1] == "." and stripped[-2] in "*_`$":
            stripped = stripped[:-1]  # sentence period after closing markup: "`42`."
        stripped = stripped.strip("*_`").strip()
        if stripped.startswith("$") and stripped.endswith("$") and len(stripped) > 1:
            stripped = stripped.strip("$").strip()
        if stripped == answer:
            break
        answer = stripped
    return answer


def is_refusal(text: str) -> bool:
    return bool(REFUSAL.search(text))


def extract_answer(
    reply: str | None,
    stages: Sequence[str] = ALL_STAGES,
    *,
    fallback_whole_reply: bool = False,
) -> Extraction:
    """Run the extraction stages in order; the first that finds something wins."""
    if reply is None or not reply.strip():
        return Extraction(answer=None, stage=None, failure="empty reply")
    text, unclosed = strip_think(reply)
    if unclosed:
        return Extraction(answer=None, stage="think", failure="unclosed think block")
    for stage in stages:
        if stage == "answer-tag":
            answer = last_answer_tag(text)
        elif stage == "boxed":
            answer = last_boxed(text)
        elif stage == "final-answer":
            answer = final_answer_line(text)
        elif stage == "fenced-code":
            answer = last_fenced_code(text)
        elif stage == "json":
            found = last_json(text)
            if found is not None:
                return Extraction(answer=found[0], stage="json", parsed_json=found[1])
            answer = None
        else:
            raise ValueError(f"unknown extraction stage {stage!r}; known: {', '.join(ALL_STAGES)}")
        if answer:
            return Extraction(answer=clean_markup(answer), stage=stage)
    if is_refusal(text):
        return Extraction(answer=None, stage=None, failure="refusal")
    if fallback_whole_reply and text.strip():
        return Extraction(answer=clean_markup(text), stage="whole-reply")
    return Extraction(answer=None, stage=None, failure="no answer found")
