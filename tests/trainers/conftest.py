"""The trainers' own code calling evalsuite's rewards (``tox -e trainers``; skipped without them).

No hub, no GPU: the tokenizer is built in process from a word list (``tokenizers``), the model is a
tiny random ``Qwen2ForCausalLM`` made from a config, as TRL's own tiny test models are
(``scripts/generate_tiny_models/for_causal_lm/qwen2_for_causal_lm_2_5.py`` in huggingface/trl).
"""

from __future__ import annotations

import pytest

ANSWER = "Final Answer: 7"  # one token: a random model says it, or not, in one step
SPECIAL = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "[UNK]"]
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture(scope="session")
def chat_tokenizer():
    """A ChatML tokenizer over a handful of words: EOS ``<|im_end|>``, pad ``<|endoftext|>``;
    ``Final Answer: 7`` is a single (added, non-special) token. Decoding joins words with spaces."""
    pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["8", "How", "many", "letters", "?", "user", "assistant"]
    vocab = {token: i for i, token in enumerate([*SPECIAL, *words])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with one space
    tok = PreTrainedTokenizerFast(tokenizer_object=core, bos_token=None, eos_token="<|im_end|>",
                                  pad_token="<|endoftext|>", unk_token="[UNK]",
                                  additional_special_tokens=["<|im_start|>"])
    tok.add_tokens([ANSWER])
    tok.chat_template = CHATML
    return tok


@pytest.fixture(scope="session")
def bytes_tokenizer():
    """A byte-level BPE ChatML tokenizer (trained in process on a few lines): decoding gives back
    the exact text, newlines included, as a real chat model's tokenizer does."""
    pytest.importorskip("transformers")
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(["How many letters are in the word?", "Final Answer: 7", "Final Answer: 8", "user assistant"],
                            vocab_size=300, special_tokens=SPECIAL)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  additional_special_tokens=["<|im_start|>"])
    tok.chat_template = CHATML
    return tok
