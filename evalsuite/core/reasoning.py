"""A thinking model's reply in its parts: the reasoning, the final content, and whether it was cut off.

Servers hand reasoning back in one of two ways: apart from the content (vLLM, SGLang and
LMDeploy's reasoning parsers: ``message.reasoning_content`` or ``message.reasoning``), or inline
as a ``<think>...</think>`` block at the front of the content, or, when the chat template opened
the block in the prompt (R1, QwQ, Qwen3-Thinking) and no reasoning parser ran, as
``reasoning</think>answer`` with no opening tag. Either way the answer is read from
the final content only: a draft answer inside the reasoning is not an answer.

A reply is truncated (docs/contracts.md#samplesjsonl) when the server stopped it for length
(``finish_reason == "length"``), when its think block never closed, or when it holds reasoning and
no content: the model never reached its answer, and that is told apart from a wrong one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evalsuite.core.extraction import THINK_OPEN, THINK_TOKEN, paired_spans, think_blocks
from evalsuite.core.types import Reply

THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Parts:
    content: str | None
    """The final content, think blocks removed (None when the server sent no content)."""
    reasoning: str | None
    truncated: bool


def split_think(text: str) -> tuple[str, str | None, bool]:
    """(content without think blocks, the blocks' text joined, whether a block never closed).

    A closing ``</think>`` without its opening tag ends reasoning that began in the prompt: the
    R1, QwQ and Qwen3-Thinking templates end the generation prompt with ``<think>``, so without a
    server-side reasoning parser (and always in a trainer's decoded completion) the reply is
    ``reasoning</think>answer``. Everything before the last such tag is reasoning."""
    # Every scan one pass (issue 30): THINK.sub restarts at every "<think>" and reads to the end.
    lone = None
    for match in THINK_CLOSE.finditer(blank_pairs(text)):
        lone = match  # the paired blocks are blanked out (same length), so positions stay true
    head = ""
    if lone is not None:
        head, text = text[:lone.start()], text[lone.end():]
    rest, inner = think_blocks(head)
    blocks = [block.strip() for block in inner]
    if rest.strip():
        blocks.append(THINK_OPEN.sub("", rest.strip()).strip())
    content, inner = think_blocks(text)
    blocks += [block.strip() for block in inner]
    unclosed = THINK_OPEN.search(content)
    if unclosed is not None:  # everything after an unclosed <think> is reasoning, cut off
        blocks.append(content[unclosed.end():].strip())
        content = content[:unclosed.start()]
    return content.strip(), "\n\n".join(b for b in blocks if b) or None, unclosed is not None


def blank_pairs(text: str) -> str:
    """``text`` with each closed think block replaced by as many NUL characters."""
    spans = paired_spans(text, THINK_TOKEN)
    if not spans:
        return text
    out, pos = [], 0
    for start, _, _, end in spans:
        out += [text[pos:start], "\0" * (end - start)]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def parts_of(reply: Reply) -> Parts:
    """The reply's final content, its reasoning (the server's field, then inline blocks) and
    whether it was cut off before an answer."""
    reasoning = reply.reasoning or None
    content = reply.text
    unclosed = False
    if content is not None and (THINK_OPEN.search(content) or THINK_CLOSE.search(content)):
        content, inline, unclosed = split_think(content)
        if inline:
            reasoning = f"{reasoning}\n\n{inline}" if reasoning else inline
    no_content = content is None or not content.strip()
    truncated = reply.finish_reason == "length" or unclosed or (no_content and reasoning is not None)
    return Parts(content, reasoning, truncated)
