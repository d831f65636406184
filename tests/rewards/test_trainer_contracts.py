"""The rewards API called exactly as the trainers and users call it (issue 26).

The trainers' argument shapes, written out from their released code (``tox -e trainers`` runs the
trainers themselves, tests/trainers):
- TRL 1.16.0 ``GRPOTrainer._calculate_rewards`` (``trl/trainer/grpo_trainer.py``):
  ``reward_func(prompts=, completions=, completion_ids=, **columns, trainer_state=, log_extra=,
  log_metric=)``; ``completions`` decoded with ``skip_special_tokens=True``, a str or
  ``[{"role": "assistant", "content": ...}]``; ``completion_ids`` end AT the first EOS, kept.
- verl 0.9.1 ``NaiveRewardManager.run_single``
  (``verl/experimental/reward_loop/reward_manager/naive.py``): ``compute_score(data_source=,
  solution_str=, ground_truth=, extra_info=)``; legacy ``BatchRewardManager.verify``
  (``verl/workers/reward_manager/batch.py``): ``compute_score(data_sources=, solution_strs=,
  ground_truths=, extra_infos=)``.
- OpenRLHF 0.11.2 ``SingleTurnAgentExecutor`` (``openrlhf/utils/agent.py``): posts
  ``{"query": [prompt + response], "prompts": [prompt], "labels": [label]}``, the query decoded
  with ``skip_special_tokens=False`` (the end-of-turn text kept), and makes
  ``torch.tensor([value])`` of every ``extra_logs`` value (``samples_generator.py``).
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import aiohttp
import pytest

from evalsuite.cli import main
from evalsuite.core.types import Sample
from evalsuite.rewards import RewardInputError, compute_score, grade, trl_reward
from evalsuite.rewards.core import benchmark_of

from .conftest import load_helpers

H = load_helpers()
CHATML_PROMPT = "<|im_start|>user\nHow many letters?<|im_end|>\n<|im_start|>assistant\n"
ENDS = ["<|im_end|>", "</s>", "<|eot_id|>", "<|end|>", "<\uff5cend\u2581of\u2581sentence\uff5c>", "<|endoftext|>",
        "<|im_end|><|endoftext|><|endoftext|>", "<|eot_id|>\n"]


# -- 1. targets as `evalsuite samples` prints them ------------------------------------------------
@pytest.mark.parametrize("name", H.ALL)
def test_the_printed_target_grades_the_oracle_reply_1(name, shared_data, capsys):
    data = H.data_for(name, shared_data)
    assert main(["samples", name, "--first", "3", *(["--data", str(data)] if data else [])]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    bench = benchmark_of(name)
    assert len(lines) == 3
    for line in lines:
        sample = Sample(line["id"], line["prompt"], line["target"], line["metadata"])
        result = grade(name, line["target"], bench.oracle_response(sample), metadata=line["metadata"])
        assert (result.score, result.status, result.format_ok) == (1.0, "ok", True), (line["target"], result)
        wrong = 7 if isinstance(line["target"], str) else [line["target"]]
        with pytest.raises(RewardInputError, match=name):
            grade(name, wrong, bench.oracle_response(sample), metadata=line["metadata"])


def test_tail_string_target_and_its_json_form():
    assert grade("tail/lcs", "3", "Final Answer: 3").score == 1.0  # the case: was a scorer error, 0
    assert grade("tail/lcs", ground_truth='"3"', completion="Final Answer: 3").score == 1.0  # an export's JSON text
    assert grade("retrosynthesis", "CCO.CC(=O)O", '["CC(=O)O.CCO"]').score == 1.0  # SMILES as printed
    with pytest.raises(RewardInputError, match="tail/lcs: the target must be a str"):
        grade("tail/lcs", 3, "Final Answer: 3")
    with pytest.raises(RewardInputError, match="not both"):
        grade("tail/lcs", "3", "Final Answer: 3", ground_truth='"3"')


def post(url: str, path: str, body: object) -> tuple[int, object]:
    async def go():
        async with aiohttp.ClientSession() as session, session.post(f"{url}{path}", json=body) as response:
            return response.status, await response.json()

    return asyncio.run(go())


def test_server_answers_a_wrongly_typed_target_with_a_400_naming_the_item(reward_url):
    good = {"benchmark": "tail/lcs", "target": "3", "completion": "Final Answer: 3"}
    status, rows = post(reward_url, "/score", [good, {**good, "ground_truth": '"3"'}])
    assert status == 400  # target and ground_truth both given
    status, rows = post(reward_url, "/score", [good, {"benchmark": "tail/lcs", "ground_truth": '"3"',
                                                      "completion": "Final Answer: 3"}])
    assert status == 200 and [r["score"] for r in rows] == [1.0, 1.0]
    status, answer = post(reward_url, "/score", [good, {**good, "target": 3}])
    assert status == 400 and "item 1" in answer["error"] and "tail/lcs" in answer["error"]


# -- 2. end-of-turn texts, numeric extra_logs ----------------------------------------------------------
@pytest.mark.parametrize("end", ENDS)
def test_end_of_turn_texts_are_not_part_of_the_answer(end):
    assert grade("tail/count-letters", "7", f"Final Answer: 7{end}").score == 1.0
    row = {"data_source": "evalsuite/tail/count-letters", "solution_str": f"Final Answer: 7{end}",
           "ground_truth": '"7"', "extra_info": {"index": 0}}
    assert compute_score(**row)["score"] == 1.0


def test_openrlhf_shaped_request_gets_numbers_only(reward_url):
    label = json.dumps({"benchmark": "tail/count-letters", "target": "7"})
    queries = [CHATML_PROMPT + "Final Answer: 7<|im_end|>", CHATML_PROMPT + "Final Answer: 8<|im_end|>",
               CHATML_PROMPT + "The answer is 7.<|im_end|>"]
    status, answer = post(reward_url, "/get_reward", {"query": queries, "prompts": [CHATML_PROMPT] * 3,
                                                      "labels": [label] * 3})
    assert status == 200
    assert answer["rewards"] == answer["scores"] == [1.0, 0.0, 0.0]
    logs = answer["extra_logs"]
    assert all(isinstance(v, float) for values in logs.values() for v in values)  # torch.tensor([value]) takes it
    assert logs["format_ok"] == [1.0, 1.0, 0.0] and logs["status_ok"] == [1.0, 1.0, 1.0]
    status, answer = post(reward_url, "/get_reward", {"query": queries[:1], "prompts": [CHATML_PROMPT],
                                                      "labels": [label], "truncated": [True]})
    assert status == 200 and answer["rewards"] == [0.0] and answer["extra_logs"]["status_truncated"] == [1.0]


# -- 3. reasoning closed without its opening tag -------------------------------------------------------
def test_lone_closing_think_tag():
    drafted = grade("tail/count-letters", "7", "I count... Final Answer: 7\n</think>\n\nI am not sure.")
    assert (drafted.score, drafted.status) == (0.0, "no-answer")
    assert grade("tail/count-letters", "7", "I count...\n</think>\n\nFinal Answer: 7").score == 1.0
    trl = trl_reward("tail/count-letters")(prompts=["q"], completions=["7 it is. Final Answer: 7\n</think>\n\nNo idea."],
                                           ground_truth=['"7"'])
    assert trl == [0.0]


# -- 4. format_ok is false for an answer not in the requested format -----------------------------------
def test_a_reply_in_the_wrong_format_is_never_format_ok():
    result = grade("tail/count-letters", "7", "The answer is 7.")
    assert (result.score, result.format_ok, result.subscores["accuracy_flexible"]) == (0.0, False, 1.0)
    verl = compute_score(data_source="evalsuite/tail/count-letters", solution_str="The answer is 7.",
                         ground_truth='"7"', extra_info=None)
    assert verl["format"] == 0.0
    batch = compute_score(data_sources=["evalsuite/tail/count-letters"] * 2,
                          solution_strs=["The answer is 7.", "Final Answer: 7"], ground_truths=['"7"', '"7"'],
                          extra_infos=[{}, {}])
    assert [r["format"] for r in batch] == [0.0, 1.0] and [r["score"] for r in batch] == [0.0, 1.0]
    fmt = trl_reward("tail/count-letters", "format_ok")
    assert fmt(prompts=["q", "q"], completions=["The answer is 7.", "Final Answer: 7"], ground_truth=['"7"'] * 2) == [0.0, 1.0]


# -- 5. cut-off completions ------------------------------------------------------------------------------
TRL_KWARGS = {"trainer_state": SimpleNamespace(global_step=0), "log_extra": lambda column, values: None,
              "log_metric": lambda name, value: None}


def test_trl_completion_without_eos_gets_no_credit_given_the_eos_id():
    eos, pad = 2, 0
    completions = [[{"role": "assistant", "content": "Final Answer: 7"}]] * 3  # conversational form
    ids = [[11, 12, eos], [11, 12, 13], [11, pad]]  # ended; cut at max_completion_length; ended on pad
    columns = {"ground_truth": ['"7"'] * 3, "data_source": ["evalsuite/tail/count-letters"] * 3, **TRL_KWARGS}
    with_eos = trl_reward("tail", eos_token_id=[eos, 5], pad_token_id=pad)
    assert with_eos(prompts=["q"] * 3, completions=completions, completion_ids=ids, **columns) == [1.0, 0.0, 1.0]
    by_tokenizer = trl_reward("tail", tokenizer=SimpleNamespace(eos_token_id=eos, pad_token_id=pad))
    assert by_tokenizer(prompts=["q"] * 3, completions=completions, completion_ids=ids, **columns) == [1.0, 0.0, 1.0]
    blind = trl_reward("tail")  # no EOS id given: the ids cannot be read, every completion counts as ended
    assert blind(prompts=["q"] * 3, completions=completions, completion_ids=ids, **columns) == [1.0, 1.0, 1.0]


def test_verl_truncation_flag():
    row = {"data_source": "evalsuite/tail/count-letters", "solution_str": "Final Answer: 7", "ground_truth": '"7"'}
    assert compute_score(**row, extra_info={"truncated": True})["score"] == 0.0
    assert compute_score(**row, extra_info={"truncated": False})["score"] == 1.0
    assert compute_score(**row, extra_info=None, truncated=True)["status"] == "truncated"
