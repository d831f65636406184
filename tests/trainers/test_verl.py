"""verl 0.9.1's own reward path on evalsuite's exported parquet (``tox -e trainers``).

verl is installed without its GPU extras. Its ``RLHFDataset`` reads the parquet that
``evalsuite export train --format verl`` wrote; the responses are tokenized replies written here
(right, wrong, wrong format), laid out as verl's rollout lays them out (prompt ids left-padded,
response ids right-padded, one attention mask over both); the reward function is loaded by
verl's ``get_custom_reward_fn`` from ``reward.custom_reward_function.path`` (the 0.9 key) and
called by the reward-loop ``NaiveRewardManager`` and the legacy ``BatchRewardManager``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

verl = pytest.importorskip("verl")
torch = pytest.importorskip("torch")

ADAPTERS = Path(__file__).resolve().parents[2] / "evalsuite" / "rewards" / "adapters.py"
N = 6


def replies(golds: list[str]) -> list[tuple[str, float, float]]:
    """(reply, expected score, expected format): right, wrong (another number), right but unmarked."""
    out = []
    for i, gold in enumerate(golds):
        kind = i % 3
        if kind == 0:
            out.append((f"Counting.\nFinal Answer: {gold}", 1.0, 1.0))
        elif kind == 1:
            out.append((f"Final Answer: {int(gold) + 1}", 0.0, 1.0))
        else:
            out.append((f"The answer is {gold}.", 0.0, 0.0))
    return out


@pytest.fixture
def batch(bytes_tokenizer, tmp_path):
    import numpy as np
    from omegaconf import OmegaConf
    from verl import DataProto
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from evalsuite.integrations.export_train import export_train

    parquet = tmp_path / "train.parquet"
    assert export_train("tail/count-letters", split="train", n=2, fmt="verl", out=parquet) == N  # 2 per length bucket
    tok = bytes_tokenizer
    config = OmegaConf.create({"prompt_key": "prompt", "max_prompt_length": 100_000, "filter_overlong_prompts": False,
                               "cache_dir": str(tmp_path / "verl-cache"), "return_raw_chat": True})
    dataset = RLHFDataset(data_files=[str(parquet)], tokenizer=tok, config=config)
    rows = [dataset[i] for i in range(len(dataset))]
    assert len(rows) == N
    golds = [json.loads(r["reward_model"]["ground_truth"]) for r in rows]
    cases = replies(golds)
    prompts = [tok(text="x", add_special_tokens=False)["input_ids"] for _ in rows]  # prompt ids: only their length matters
    responses = [tok(text=text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id] for text, _, _ in cases]
    p_len, r_len = max(map(len, prompts)), max(map(len, responses)) + 2
    pad = tok.pad_token_id
    prompt_ids = torch.tensor([[pad] * (p_len - len(p)) + p for p in prompts])
    response_ids = torch.tensor([r + [pad] * (r_len - len(r)) for r in responses])
    mask = torch.tensor([[0] * (p_len - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (r_len - len(r))
                         for p, r in zip(prompts, responses)])
    data = DataProto.from_dict(
        tensors={"prompts": prompt_ids, "responses": response_ids, "attention_mask": mask,
                 "input_ids": torch.cat([prompt_ids, response_ids], dim=1)},
        non_tensors={key: np.array([r[key] for r in rows], dtype=object)
                     for key in ("data_source", "reward_model", "extra_info")},
    )
    return data, cases


def reward_fn():
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config = OmegaConf.create({"reward": {"custom_reward_function": {"path": str(ADAPTERS), "name": "compute_score",
                                                                     "reward_kwargs": {}}}})
    return get_custom_reward_fn(config)


def test_naive_reward_loop_manager(bytes_tokenizer, batch):
    from omegaconf import OmegaConf
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager

    data, cases = batch
    manager = NaiveRewardManager(OmegaConf.create({}), bytes_tokenizer, reward_fn())
    results = [manager.loop.run_until_complete(manager.run_single(data[i:i + 1])) for i in range(len(data))]
    assert [r["reward_score"] for r in results] == [score for _, score, _ in cases]
    assert [r["reward_extra_info"]["format"] for r in results] == [fmt for _, _, fmt in cases]
    assert all(r["reward_extra_info"]["status"] == "ok" for r in results)


def test_legacy_batch_reward_manager(bytes_tokenizer, batch):
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn
    from verl.workers.reward_manager.batch import BatchRewardManager

    data, cases = batch
    config = OmegaConf.create({"reward": {"custom_reward_function": {"path": str(ADAPTERS),
                                                                     "name": "compute_score_batch"}}})
    manager = BatchRewardManager(bytes_tokenizer, num_examine=0, compute_score=get_custom_reward_fn(config))
    out = manager(data, return_dict=True)
    lengths = data.batch["attention_mask"][:, data.batch["prompts"].shape[-1]:].sum(-1)
    placed = [out["reward_tensor"][i, lengths[i] - 1].item() for i in range(len(data))]
    assert placed == [score for _, score, _ in cases]  # verl puts the score on the last response token
    assert out["reward_extra_info"]["format"] == [fmt for _, _, fmt in cases]
