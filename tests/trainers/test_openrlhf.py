"""OpenRLHF 0.11.2's ``SingleTurnAgentExecutor`` posting to ``evalsuite serve rewards``, and its
``SamplesGenerator`` turning the reply into an ``Experience`` (``tox -e trainers``).

The executor (``openrlhf/utils/agent.py``) tokenizes the prompt, asks its vLLM engine for one
continuation, decodes prompt + response with ``skip_special_tokens=False`` and posts
``{"query", "prompts", "labels"}`` to ``--reward.remote_url``; ``_process_response_into_experience``
(``trainer/ppo_utils/samples_generator.py``) makes ``torch.tensor([value])`` of every
``extra_logs`` value. vLLM itself needs a GPU, so the engine here is a stand-in with vLLM's
output shape (``outputs[0].token_ids``, ``.finish_reason``, ``.logprobs``) and the module
``vllm`` an empty stand-in for the names OpenRLHF imports from it; everything else is OpenRLHF's
code and evalsuite's real server.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

openrlhf = pytest.importorskip("openrlhf")
torch = pytest.importorskip("torch")

LABEL = json.dumps({"benchmark": "tail/count-letters", "target": "7"})


class Engine:
    """vLLM's ``generate`` answer shape, with a fixed continuation."""

    def __init__(self, ids: list[int], finish_reason: str):
        self.ids, self.finish_reason = ids, finish_reason

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None):
        return SimpleNamespace(outputs=[SimpleNamespace(token_ids=list(self.ids), finish_reason=self.finish_reason,
                                                        logprobs=None)])


def stand_in(attr: str) -> type:
    if attr.startswith("__"):
        raise AttributeError(attr)
    return type(attr, (), {})


def stub_vllm(monkeypatch) -> None:
    """vLLM needs a GPU build and is not installed: ``samples_generator`` and ``vllm_engine``
    import names from it at module level (``SamplingParams``, ``vllm.inputs.TokensPrompt``,
    ``vllm.utils.random_uuid``) that the code run here never calls, so empty stand-ins do."""
    import sys
    import types

    for name in ("vllm", "vllm.inputs", "vllm.utils"):
        module = types.ModuleType(name)
        module.__getattr__ = stand_in  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)


def test_executor_on_evalsuite_server(bytes_tokenizer, reward_url, monkeypatch):
    stub_vllm(monkeypatch)
    from openrlhf.trainer.ppo_utils.length_penalty import apply_stop_properly_penalty
    from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    tok = bytes_tokenizer
    prompt = tok.apply_chat_template([{"role": "user", "content": "How many letters are in the word?"}],
                                     tokenize=False, add_generation_prompt=True)
    ids = lambda text: tok(text=text, add_special_tokens=False)["input_ids"]  # noqa: E731
    cases = [  # (response ids, finish_reason, expected reward from the server)
        ([*ids("Final Answer: 7"), tok.eos_token_id], "stop", 1.0),
        ([*ids("Final Answer: 8"), tok.eos_token_id], "stop", 0.0),
        ([*ids("Final Answer: 7"), tok.eos_token_id, tok.pad_token_id], "stop", 1.0),
        (ids("Final Answer: 7"), "length", 1.0),  # cut: OpenRLHF does not tell the server, see below
    ]
    executor = SingleTurnAgentExecutor(f"{reward_url}/get_reward")
    params = SimpleNamespace(max_tokens=64, logprobs=None)
    outputs = [asyncio.run(executor.execute(prompt, LABEL, params, 4096, tok, Engine(r, finish)))
               for r, finish, _ in cases]
    assert [o["reward"] for o in outputs] == [[expected] for _, _, expected in cases]
    for output in outputs:
        assert set(output["extra_logs"]) >= {"correct", "format_ok", "status_ok"}
    experiences = [SamplesGenerator._process_response_into_experience(None, o, max_len=4096) for o in outputs]
    assert [e.info["status_ok"].flatten().tolist() for e in experiences] == [[1.0]] * 4  # tensors: no ValueError
    assert [bool(e.truncated) for e in experiences] == [False, False, False, True]
    # ``--reward.stop_properly_penalty_coef 0`` is how an OpenRLHF run gives a cut reply no credit
    apply_stop_properly_penalty(experiences, 0.0)
    assert [e.rewards.flatten().tolist() for e in experiences] == [[1.0], [0.0], [1.0], [0.0]]
