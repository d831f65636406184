"""Find the answer inside a free-form reply. Shared by every benchmark.

The rule (docs/contracts.md#extraction-rule): drop closed ``<think>`` blocks (an unclosed one
means the model never answered); then, of the answer markers a benchmark accepts (answer tag,
``\\boxed{}``, ``Final Answer:``, and its own), the one that starts LAST in the reply gives the
answer, as a person reads a reply that corrects itself. A marker that wraps another (``Final
Answer: \\boxed{7}``) gives way to the inner one. Two different answers marked on the line of
that last marker are a failure, ``ambiguous``, never a guess. Without any marker the format
stages follow in the benchmark's order (fenced code, JSON); then a refusal is told apart from a
missing answer; then a benchmark may fall back to the last answer-shaped span of the reply (stage
``flexible``: graded only by the ``<headline>_flexible`` metrics, never by the headline).
Nothing here evaluates model output: it is only searched as text.

Every scan is one pass over the reply (issue 30): a pattern like ``<think>.*?</think>`` run by
``re`` restarts from every opening marker and reads to the end each time, so a degenerate reply
of repeated openers cost time quadratic in its length (48 KB of ``\\boxed{``: 49 s). Openers and
closers are found as tokens in one pass and paired by position; braces are matched with one
stack; an answer is sliced out of the reply only when it is read.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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
FINAL_ANSWER_MARK = re.compile(r"final[ \t]+answer[ \t]*[*_]*[ \t]*[:：][ \t]*[*_]*[ \t]*", re.IGNORECASE)
CLOSE_TAG = re.compile(r"</answer>|\[/ANSWER\]", re.IGNORECASE)
FENCED_CODE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
FENCE_OPEN = re.compile(r"```[^\n`]*\n")
THINK_TOKEN = re.compile(r"<(/?)think>", re.IGNORECASE)
ANSWER_TAG_TOKENS = (re.compile(r"\[(/?)ANSWER\]", re.IGNORECASE), re.compile(r"<(/?)answer>", re.IGNORECASE))
FENCE = re.compile(r"(?=```)")
BOXED = re.compile(r"\\boxed\{")
BRACE = re.compile(r"[{}]")
NON_BLANK = re.compile(r"\S")
BLANK = re.compile(r"\s*")
SOME_TEXT = re.compile(r"[^\s*_`$.\\()]")  # a character clean_markup never strips
REFUSAL = re.compile(
    r"\b(?:I\s+(?:cannot|can't|can\s+not|won't|am\s+unable\s+to|'m\s+unable\s+to|am\s+not\s+able\s+to)"
    r"|I'm\s+sorry|I\s+am\s+sorry|as\s+an\s+AI\b|unable\s+to\s+(?:determine|answer|provide|help)"
    r"|I\s+do\s+not\s+(?:know|have\s+(?:enough|sufficient))|I\s+don't\s+(?:know|have\s+(?:enough|sufficient)))",
    re.IGNORECASE,
)
NUMBER = re.compile(r"(?<![\w.])[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
MAX_JSON_ATTEMPTS = 400

MARKER_STAGES = ("answer-tag", "boxed", "final-answer")
FORMAT_STAGES = ("fenced-code", "json")
ALL_STAGES = (*MARKER_STAGES, *FORMAT_STAGES)
FLEXIBLE = "flexible"
AMBIGUOUS = "ambiguous"


class AmbiguousAnswer(ValueError):
    """An answer that names more than one value, or none of the allowed ones for certain (a
    negated or non-strict relation): a failure with reason ``ambiguous``, never credit."""


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


class Marker(NamedTuple):
    """One answer marker in a reply: its stage, where it starts, where its answer ends. The
    answer is ``source[answer_start:answer_end]`` (sliced when read: nested markers would
    otherwise copy the reply once per level), or ``fixed`` where it is not a plain span. A named
    tuple, not a frozen dataclass: a degenerate reply makes a hundred thousand of them."""

    stage: str
    start: int
    end: int
    source: str
    answer_start: int
    answer_end: int
    parsed_json: Any = None
    fixed: str | None = None

    @property
    def answer(self) -> str:
        return self.fixed if self.fixed is not None else self.source[self.answer_start:self.answer_end]


def has_answer(marker: Marker, seen: dict[str, bool]) -> bool:
    """``clean_markup(marker.answer)`` is not empty, without copying a long answer (``seen``:
    answers already judged, since a degenerate reply repeats one)."""
    if marker.fixed is None and marker.answer_end - marker.answer_start > 256:
        if SOME_TEXT.search(marker.source, marker.answer_start, marker.answer_end) is not None:
            return True
    answer = marker.answer
    judged = seen.get(answer)
    if judged is None:
        judged = seen[answer] = bool(clean_markup(answer))
    return judged


def paired_spans(text: str, tokens: re.Pattern[str]) -> list[tuple[int, int, int, int]]:
    """(open start, open end, close start, close end) of every opener paired with the first
    closer after it, left to right, as ``re`` pairs ``OPEN(.*?)CLOSE`` (group 1 of ``tokens`` is
    "/" for a closer), in one pass; an opener without a closer pairs with nothing."""
    spans, opened = [], None
    for token in tokens.finditer(text):
        if token.group(1):
            if opened is not None:
                spans.append((opened[0], opened[1], token.start(), token.end()))
                opened = None
        elif opened is None:
            opened = (token.start(), token.end())
    return spans


def think_blocks(text: str) -> tuple[str, list[str]]:
    """The text without closed think blocks, and the blocks' inner texts (one pass)."""
    spans = paired_spans(text, THINK_TOKEN)
    if not spans:
        return text, []
    kept, pos = [], 0
    for start, _, _, end in spans:
        kept.append(text[pos:start])
        pos = end
    kept.append(text[pos:])
    return "".join(kept), [text[inner:close] for _, inner, close, _ in spans]


def strip_think(text: str) -> tuple[str, bool]:
    """Remove closed think blocks; report whether an unclosed one remains."""
    without = think_blocks(text)[0]
    return without, bool(THINK_OPEN.search(without))


# -- markers ---------------------------------------------------------------------------------
def answer_tag_markers(text: str) -> list[Marker]:
    return [Marker("answer-tag", start, end, text, inner, close)
            for tokens in ANSWER_TAG_TOKENS for start, inner, close, end in paired_spans(text, tokens)]


def boxed_markers(text: str) -> list[Marker]:
    """Every ``\\boxed{...}`` whose braces balance (one stack over the braces after the first)."""
    starts = [m.start() for m in BOXED.finditer(text)]
    if not starts:
        return []
    closing: dict[int, int] = {}
    stack: list[int] = []
    for brace in BRACE.finditer(text, starts[0]):
        if brace.group() == "{":
            stack.append(brace.start())
        elif stack:
            closing[stack.pop()] = brace.start()
    found = []
    for pos in starts:
        opening = pos + len("\\boxed")
        close = closing.get(opening)
        if close is not None:
            found.append(Marker("boxed", pos, close + 1, text, opening + 1, close))
    return found


def final_answer_markers(text: str) -> list[Marker]:
    """Every ``Final Answer:``. Its answer runs to the next marker on the line or the line's end;
    an empty line takes the next non-empty line; a JSON value (bare or fenced, over several
    lines) right after the marker is the answer whole."""
    marks = list(FINAL_ANSWER_MARK.finditer(text))
    if not marks:
        return []
    newlines = [m.start() for m in re.finditer("\n", text)]
    found = []
    for index, mark in enumerate(marks):
        after = bisect.bisect_left(newlines, mark.end())
        line_end = newlines[after] if after < len(newlines) else len(text)
        stop = min(line_end, marks[index + 1].start()) if index + 1 < len(marks) else line_end
        closing = CLOSE_TAG.search(text, mark.end(), stop)  # "<answer>Final Answer: 7</answer>"
        stop = closing.start() if closing else stop
        block = json_block(text, mark.end())
        if block is not None:
            found.append(Marker("final-answer", mark.start(), block[1], text, mark.end(), block[1], block[2],
                                fixed=block[0]))
            continue
        answer_start, end = mark.end(), stop
        if not clean_markup(text[answer_start:stop]) and stop == line_end:
            word = NON_BLANK.search(text, line_end)  # the next non-empty line
            if word is not None:
                answer_start = text.rfind("\n", 0, word.start()) + 1
                line_stop = text.find("\n", word.start())
                end = len(text) if line_stop == -1 else line_stop
        found.append(Marker("final-answer", mark.start(), end, text, answer_start, end))
    return found


def json_block(text: str, pos: int) -> tuple[str, int, Any] | None:
    """A JSON object or list starting at ``pos`` (after blank space, inside a fence or not):
    (its text, where it ends, its value)."""
    offset = BLANK.match(text, pos).end()  # type: ignore[union-attr]  # \s* always matches
    fence = FENCE_OPEN.match(text, offset)
    if fence:
        offset = BLANK.match(text, fence.end()).end()  # type: ignore[union-attr]
    if text[offset:offset + 1] not in ("[", "{"):
        return None
    try:
        value, end = json.JSONDecoder().raw_decode(text, offset)
    except (ValueError, RecursionError):
        return None
    if fence:
        close = text.find("```", end)
        end = close + 3 if close != -1 else end
    return text[offset:end].rstrip("`").strip(), end, value


MARKER_FINDERS: dict[str, Callable[[str], list[Marker]]] = {
    "answer-tag": answer_tag_markers,
    "boxed": boxed_markers,
    "final-answer": final_answer_markers,
}


def markers_in(text: str, stages: Sequence[str], own: Mapping[str, re.Pattern[str]] | None = None) -> list[Marker]:
    """The non-empty answer markers of ``stages`` (and a benchmark's ``own`` patterns, whose
    group 1 is the answer), in the order they start."""
    found = [m for stage in stages if stage in MARKER_FINDERS for m in MARKER_FINDERS[stage](text)]
    for stage, pattern in (own or {}).items():
        found += [Marker(stage, m.start(), m.end(), text, m.start(1), m.end(1)) for m in pattern.finditer(text)]
    seen: dict[str, bool] = {}
    return sorted((m for m in found if has_answer(m, seen)), key=lambda m: (m.start, -m.end))


def last_marker(text: str, markers: Sequence[Marker]) -> Marker | Extraction:
    """The marker that starts last, or an ``ambiguous`` failure when the line it starts on marks
    two different answers (markers that wrap another marker are not answers of their own)."""
    last = markers[-1]
    line_start = text.rfind("\n", 0, last.start) + 1
    starts = [m.start for m in markers]  # sorted
    on_line = markers[bisect.bisect_left(starts, line_start):]
    # a leaf: no other marker starts inside it (counted by bisection: itself is one)
    leaves = [m for m in on_line if bisect.bisect_left(starts, m.end) - bisect.bisect_left(starts, m.start) <= 1
              or m.end <= m.start]
    answers: set[str] = set()
    cleaned: dict[str, str] = {}
    for leaf in leaves:  # a degenerate line repeats one answer: each distinct one is cleaned once
        answer = leaf.answer
        if answer not in cleaned:
            cleaned[answer] = " ".join(clean_markup(answer).split())
            answers.add(cleaned[answer])
    if len(answers) > 1:
        shown = " / ".join(sorted(answers))[:120]
        return Extraction(answer=None, stage=last.stage, failure=f"{AMBIGUOUS}: two different final answers ({shown})")
    return last


# -- helpers other modules use -----------------------------------------------------------------
def last_answer_tag(text: str) -> str | None:
    found = answer_tag_markers(text)
    return max(found, key=lambda m: m.start).answer.strip() if found else None


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` whose braces balance."""
    found = boxed_markers(text)
    return found[-1].answer.strip() if found else None


def final_answer_line(text: str) -> str | None:
    """The answer of the last ``Final Answer:`` (see ``final_answer_markers``)."""
    found = [m for m in final_answer_markers(text) if clean_markup(m.answer)]
    return clean_markup(found[-1].answer) if found else None


def last_fenced_code(text: str) -> str | None:
    """The body of the last fenced block (as ``FENCED_CODE`` pairs them, in one pass)."""
    ticks = [m.start() for m in FENCE.finditer(text)]  # every "```", overlapping ones too
    found, pos = None, 0
    while True:
        at = bisect.bisect_left(ticks, pos)
        opened = None
        while at < len(ticks):
            opened = FENCE_OPEN.match(text, ticks[at])
            if opened:
                break
            at += 1
        if not opened:
            return found
        close = bisect.bisect_left(ticks, opened.end())
        if close == len(ticks):
            return found
        found = text[opened.end():ticks[close]].strip()
        pos = ticks[close] + 3


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


def last_number(text: str) -> str | None:
    """The last number written in the text (a flexible span: ``The answer is 42.`` -> 42)."""
    found = NUMBER.findall(text)
    return found[-1] if found else None


def numbers_in(text: str) -> list[str]:
    return NUMBER.findall(text)


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
        if stripped.startswith("\\(") and stripped.endswith("\\)"):
            stripped = stripped[2:-2].strip()
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
    markers: Mapping[str, re.Pattern[str]] | None = None,
    flexible: Callable[[str], str | None] | None = None,
) -> Extraction:
    """Apply the extraction rule (module docstring) with a benchmark's stages.

    ``markers``: the benchmark's own answer markers (stage name -> pattern, group 1 = answer),
    competing by position with the marker stages. ``flexible``: returns the last answer-shaped
    span of the reply (or None), tried only when nothing else matched and the reply is no refusal.
    """
    unknown = [s for s in stages if s not in ALL_STAGES]
    if unknown:
        raise ValueError(f"unknown extraction stage {unknown[0]!r}; known: {', '.join(ALL_STAGES)}")
    if reply is None or not reply.strip():
        return Extraction(answer=None, stage=None, failure="empty reply")
    text, unclosed = strip_think(reply)
    if unclosed:
        return Extraction(answer=None, stage="think", failure="unclosed think block")
    found = markers_in(text, stages, markers)
    if found:
        last = last_marker(text, found)
        if isinstance(last, Extraction):
            return last
        return Extraction(answer=clean_markup(last.answer), stage=last.stage, parsed_json=last.parsed_json)
    for stage in stages:
        if stage == "fenced-code":
            code = last_fenced_code(text)
            if code:
                return Extraction(answer=clean_markup(code), stage=stage)
        elif stage == "json":
            located = last_json(text)
            if located is not None:
                return Extraction(answer=located[0], stage="json", parsed_json=located[1])
    if is_refusal(text):
        return Extraction(answer=None, stage=None, failure="refusal")
    if flexible is not None:
        span = flexible(text)
        if span:
            return Extraction(answer=clean_markup(span), stage=FLEXIBLE)
    if fallback_whole_reply and text.strip():
        return Extraction(answer=clean_markup(text), stage="whole-reply")
    return Extraction(answer=None, stage=None, failure="no answer found")
