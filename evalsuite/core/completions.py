"""A trainer's completion as the graders read it: the chat template's end-of-turn text removed.

A trainer hands the reward the generated text, and some decode it with the special tokens kept:
OpenRLHF's ``SingleTurnAgentExecutor`` decodes prompt + response with
``skip_special_tokens=False`` (``openrlhf/utils/agent.py``), so a reply that stopped on its
end-of-turn token ends in ``<|im_end|>`` or ``</s>``. Those texts are the template's, not the
model's answer, and are removed from the end (with any padding after them) before extraction.
TRL's ``completions`` and verl's ``solution_str`` are decoded with ``skip_special_tokens=True``
and pass through unchanged.

The texts, by chat template family (LMDeploy's built-in templates, ``lmdeploy/model.py`` at
v0.7.0, ``eoa`` / ``stop_words`` of each registered model): ChatML (Qwen, InternLM2, Yi)
``<|im_end|>``, Qwen base ``<|endoftext|>``; Llama-2 / Mistral ``</s>``; Llama-3
``<|eot_id|>``, ``<|end_of_text|>``, ``<|eom_id|>``; Phi-3 ``<|end|>``; DeepSeek V2/V3/R1
``<｜end▁of▁sentence｜>`` (U+FF5C and U+2581, not ASCII); DeepSeek-Coder ``<|EOT|>``; Gemma
``<end_of_turn>`` and ``<eos>``; InternLM v1 ``<eoa>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

END_TEXTS = (
    "<|im_end|>", "<|endoftext|>", "</s>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "<|end|>",
    "<\uff5cend\u2581of\u2581sentence\uff5c>", "<|EOT|>", "<end_of_turn>", "<eos>", "<eoa>",
)


def strip_end_texts(text: str) -> str:
    """``text`` without the end-of-turn / end-of-sequence texts (and whitespace) at its end."""
    out = text.rstrip()
    while True:
        for end in END_TEXTS:
            if out.endswith(end):
                out = out[: -len(end)].rstrip()
                break
        else:
            return out if out != text.rstrip() else text


def completion_text(completion: Any) -> str | None:
    """A completion as text: a string, or a conversational list of messages (TRL's form for a
    chat dataset, ``[{"role": "assistant", "content": ...}]``; the assistant contents joined).
    Anything else raises ``TypeError``."""
    if completion is None or isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence):
        parts = [m.get("content") for m in completion
                 if isinstance(m, Mapping) and m.get("role", "assistant") == "assistant"]
        return "".join(p for p in parts if isinstance(p, str))
    raise TypeError(f"completion must be a string or a list of messages, got {type(completion).__name__}")


def normalise(completion: Any) -> str | None:
    """The completion's text as the graders read it (``completion_text``, then ``strip_end_texts``)."""
    text = completion_text(completion)
    return None if text is None else strip_end_texts(text)
