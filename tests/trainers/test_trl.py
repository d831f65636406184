"""TRL 1.16's ``GRPOTrainer`` trains 2 steps on the CPU with evalsuite's reward (``tox -e trainers``).

What TRL hands the reward is TRL's own doing: ``completions`` (conversational, decoded with
``skip_special_tokens=True``) and ``completion_ids`` (cut at the first EOS, which is kept), plus
``trainer_state``, ``log_extra`` and ``log_metric``. The expected reward of each completion is
worked out here from its ids alone, by the rule of this tiny vocabulary: it ended (its last id
is the EOS or pad id, TRL's own test) and its last word is the single token ``Final Answer: 7``.
"""

from __future__ import annotations

import pytest

from .conftest import ANSWER

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")


def test_grpo_trainer_two_steps_on_cpu(chat_tokenizer, tmp_path):
    from datasets import Dataset
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from evalsuite.rewards import trl_reward

    tok = chat_tokenizer
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tok), hidden_size=8, num_attention_heads=4, num_key_value_heads=2,
                         num_hidden_layers=2, intermediate_size=32, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id, bos_token_id=None, tie_word_embeddings=False)
    model = Qwen2ForCausalLM(config)
    n = 4
    data = Dataset.from_dict({
        "prompt": [[{"role": "user", "content": "How many letters?"}]] * n,
        "ground_truth": ['"7"'] * n,  # the export's JSON text of the target
        "data_source": ["evalsuite/tail/count-letters"] * n,
    })
    inner = trl_reward("tail", tokenizer=tok)
    calls: list[dict] = []

    def reward(prompts, completions, completion_ids, **kwargs):
        out = inner(prompts=prompts, completions=completions, completion_ids=completion_ids, **kwargs)
        calls.append({"completions": completions, "ids": completion_ids, "kwargs": set(kwargs), "out": out})
        return out

    reward.__name__ = "evalsuite_tail"
    # the random model's logits are near zero, so it samples about uniformly; only the answer, a
    # wrong word, EOS and pad may come, so that right, wrong and cut-off completions all turn up
    kept = {tok.convert_tokens_to_ids(ANSWER), tok.convert_tokens_to_ids("8"), tok.eos_token_id, tok.pad_token_id}
    args = trl.GRPOConfig(generation_kwargs={"suppress_tokens": [i for i in range(len(tok)) if i not in kept]},output_dir=str(tmp_path), per_device_train_batch_size=8, num_generations=8,
                          max_completion_length=3, max_steps=2, use_vllm=False, report_to="none", use_cpu=True,
                          bf16=False, gradient_checkpointing=False, logging_steps=1, save_strategy="no",
                          learning_rate=0.1, dataloader_num_workers=0, seed=1)
    trainer = trl.GRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=data, processing_class=tok)
    trainer.train()

    assert len(calls) == 2 and all(len(c["out"]) == 8 for c in calls)
    assert {"trainer_state", "log_extra", "log_metric", "ground_truth", "data_source"} <= calls[0]["kwargs"]
    answer, ends = tok.convert_tokens_to_ids(ANSWER), {tok.eos_token_id, tok.pad_token_id}
    special = set(tok.all_special_ids)
    seen = {"right": 0, "cut": 0}
    for call in calls:
        for completion, ids, got in zip(call["completions"], call["ids"], call["out"]):
            assert completion[0]["role"] == "assistant"  # TRL's conversational form
            ended = bool(ids) and ids[-1] in ends
            words = [i for i in ids if i not in special]
            expected = 1.0 if ended and words and words[-1] == answer else 0.0
            assert got == expected, (ids, completion)
            seen["right"] += expected == 1.0
            seen["cut"] += (not ended) and bool(words) and words[-1] == answer
    assert seen["right"] > 0 and seen["cut"] > 0, seen  # both cases really came up
    logged = [entry for entry in trainer.state.log_history if "rewards/evalsuite_tail/mean" in entry]
    assert len(logged) == 2
