"""The trainer adapters, called exactly as the trainers call them, give ``grade``'s numbers.

verl: ``NaiveRewardManager.__call__`` reads ``data_source``, ``reward_model.ground_truth`` and
``extra_info`` of each parquet row and calls ``compute_score(data_source=..., solution_str=...,
ground_truth=..., extra_info=...)``, then reads ``result["score"]`` and logs the other keys; the
``BatchRewardManager`` calls ``compute_score(data_sources=..., solution_strs=...,
ground_truths=..., extra_infos=...)`` with numpy object arrays. TRL's ``GRPOTrainer`` calls
``reward_func(prompts=..., completions=..., completion_ids=..., **columns)`` with every dataset
column but ``prompt`` as a list, conversational completions as ``[{"role": "assistant", ...}]``.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from evalsuite.core import registry
from evalsuite.integrations.export_train import export_train
from evalsuite.rewards import RewardInputError, compute_score, grade, trl_reward


@pytest.fixture(scope="module")
def verl_rows(tmp_path_factory):
    """Rows of an exported verl parquet file (TAIL task and HTE), as verl's dataset yields them."""
    out = tmp_path_factory.mktemp("verl")
    export_train("tail/levenshtein", split="train", n=4, fmt="verl", out=out / "tail.parquet")
    return pq.read_table(out / "tail.parquet").to_pylist()


def completions_for(rows):
    """Per row: the right answer, a wrong one, nothing."""
    out = []
    for i, row in enumerate(rows):
        gold = json.loads(row["reward_model"]["ground_truth"])
        out.append([f"Final Answer: {gold}", f"Final Answer: {int(gold) + 1}", ""][i % 3])
    return out


def test_verl_naive_manager_call(verl_rows):
    for row, text in zip(verl_rows, completions_for(verl_rows)):
        result = compute_score(data_source=row["data_source"], solution_str=text,
                               ground_truth=row["reward_model"]["ground_truth"], extra_info=row["extra_info"])
        expected = grade(row["data_source"], ground_truth=row["reward_model"]["ground_truth"], completion=text)
        assert result == {"score": expected.score, "acc": float(expected.correct),
                          "format": float(expected.format_ok), "status": expected.status}
    scores = [compute_score(data_source=r["data_source"], solution_str=t, ground_truth=r["reward_model"]["ground_truth"],
                            extra_info=r["extra_info"])["score"] for r, t in zip(verl_rows, completions_for(verl_rows))]
    assert scores == [1.0, 0.0, 0.0] * (len(verl_rows) // 3) + [1.0, 0.0, 0.0][: len(verl_rows) % 3]


def test_verl_batch_manager_call(verl_rows, shared_data, tmp_path):
    export_train("hte-conditions/buchwald-hartwig", split="test", n=3, fmt="verl", out=tmp_path / "hte.parquet",
                 data=shared_data / "hte")
    hte_rows = pq.read_table(tmp_path / "hte.parquet").to_pylist()
    rows = verl_rows + hte_rows
    texts = completions_for(verl_rows)
    for row in hte_rows:
        yields = json.loads(row["reward_model"]["ground_truth"])["yields"]
        texts.append("Final Answer: " + max(yields, key=lambda c: yields[c]))
    results = compute_score(
        data_sources=np.array([r["data_source"] for r in rows], dtype=object),
        solution_strs=texts,
        ground_truths=[r["reward_model"].get("ground_truth", None) for r in rows],
        extra_infos=np.array([r["extra_info"] for r in rows], dtype=object),
    )
    singles = [compute_score(data_source=r["data_source"], solution_str=t, ground_truth=r["reward_model"]["ground_truth"],
                             extra_info=r["extra_info"]) for r, t in zip(rows, texts)]
    assert results == singles
    assert [r["score"] for r in results[len(verl_rows):]] == [1.0, 1.0, 1.0]


def test_verl_refuses_other_data_sources():
    with pytest.raises(RewardInputError, match="openai/gsm8k"):
        compute_score(data_source="openai/gsm8k", solution_str="4", ground_truth="4", extra_info=None)


def test_trl_grpo_call_plain_and_conversational():
    bench = registry.create("tail/word-flip")
    other = registry.create("tail/count-letters")
    samples = list(bench.samples(None, 0, 3))
    other_sample = next(iter(other.samples(None, 0, 1)))
    answers = [bench.oracle_response(samples[0]), "Final Answer: nope", ""]
    columns = {
        "ground_truth": [json.dumps(s.target) for s in samples] + [json.dumps(other_sample.target)],
        "data_source": ["evalsuite/tail/word-flip"] * 3 + ["evalsuite/tail/count-letters"],
        "extra_info": [{"id": s.id} for s in samples] + [{}],
    }
    expected = [grade("tail/word-flip", ground_truth=columns["ground_truth"][i], completion=answers[i]).score for i in range(3)]
    reward_func = trl_reward("tail/word-flip")
    plain = reward_func(prompts=[s.prompt_text for s in samples] + ["q"],
                        completions=[*answers, other.oracle_response(other_sample)],
                        completion_ids=[[1, 2]] * 4, trainer_state=None, **columns)
    assert plain == [*expected, None]  # the count-letters row is not this reward's
    conversational = reward_func(
        prompts=[s.messages for s in samples] + [other_sample.messages],
        completions=[[{"role": "assistant", "content": a}] for a in [*answers, "x"]],
        completion_ids=[[1]] * 4, **columns)
    assert conversational == plain == [1.0, 0.0, 0.0, None]
    family = trl_reward("tail", component="correct")
    assert family(prompts=["q"] * 4, completions=[*answers, other.oracle_response(other_sample)], **columns) == \
        [1.0, 0.0, 0.0, 1.0]
    assert family.__name__ == "evalsuite_tail_correct"  # TRL logs rewards under the function's name


def test_trl_without_data_source_uses_the_named_benchmark():
    bench = registry.create("tail/count-letters")
    sample = next(iter(bench.samples(None, 0, 1)))
    reward_func = trl_reward("evalsuite/tail/count-letters", component="format_ok")
    assert reward_func(prompts=["q"], completions=["no idea"], ground_truth=[json.dumps(sample.target)]) == [0.0]
    with pytest.raises(RewardInputError, match="family"):
        trl_reward("tail")(prompts=["q"], completions=["x"], ground_truth=[json.dumps(sample.target)])
