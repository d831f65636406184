"""Thinking models over real HTTP: reasoning kept apart from the answer, truncation as its own outcome.

The dev server plays a vLLM-style reasoning server (reasoning_content, or inline <think> blocks)
and cuts replies at max_tokens with finish_reason "length", counting whitespace words as tokens.
"""

from __future__ import annotations

import json
import re

import pytest

from evalsuite import load_run
from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.core.reasoning import split_think
from evalsuite.core.types import Reply
from evalsuite.integrations.devserver import DevReply, DevServer

from .conftest import read_jsonl

BENCH = "tail/lcs"
LIMIT = 10
TRUNCATED = 6


def lcs(a: str, b: str) -> int:
    """Longest common subsequence length by the textbook dynamic programme (independent of the benchmark)."""
    row = [0] * (len(b) + 1)
    for ch in a:
        previous = 0
        for j, other in enumerate(b, start=1):
            current = row[j]
            row[j] = previous + 1 if ch == other else max(row[j], row[j - 1])
            previous = current
    return row[-1]


def gold_of(prompt: str) -> int:
    a, b = re.findall(r'"([a-z]*)"', prompt)[:2]
    return lcs(a, b)


def thinking_server(inline: bool) -> tuple[DevServer, set[str]]:
    """The first six prompts (in sample order) think past 256 tokens with a correct draft answer
    early in the reasoning; the other four think briefly and answer correctly."""
    prompts = [s.messages[-1]["content"] for s in registry.create(BENCH).samples(None, 0, LIMIT)]
    long_ones = set(prompts[:TRUNCATED])

    def respond(messages):
        prompt = messages[-1]["content"]
        gold = gold_of(prompt)
        if prompt in long_ones:
            return DevReply(f"Final Answer: {gold}", f"Draft: Final Answer: {gold}. Let me double-check. "
                            + "checking " * 400, inline=inline)
        return DevReply(f"Final Answer: {gold}", "Short check of the table.", inline=inline)

    return DevServer(respond), long_ones


def run(out, url, *extra):
    return main(["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", str(LIMIT),
                 "--max-tokens", "256", "--out", str(out), "--no-progress", *extra])


@pytest.mark.parametrize("inline", [False, True], ids=["reasoning_content", "think-block"])
def test_truncated_thinking_earns_no_credit(tmp_path, cache_dir, inline):
    server, long_ones = thinking_server(inline)
    with server:
        out = tmp_path / "run"
        assert run(out, server.url, "--report", str(tmp_path / "report.html")) == 0
        assert server.stats.requests == LIMIT
        cached = tmp_path / "cached"  # a fresh --out: every reply from the cache
        assert run(cached, server.url) == 0
        assert server.stats.requests == LIMIT
    result = json.loads((out / "results.json").read_text())["benchmarks"][BENCH]
    assert result["metrics"]["accuracy"]["value"] == pytest.approx(0.4)
    assert result["metrics"]["truncation_rate"]["value"] == pytest.approx(0.6)
    assert result["metrics"]["extraction_failure_rate"]["value"] == 0.0  # truncation is its own outcome
    lines = read_jsonl(out / "samples.jsonl")
    cut = [line for line in lines if line["prompt"][-1]["content"] in long_ones]
    whole = [line for line in lines if line["prompt"][-1]["content"] not in long_ones]
    assert len(cut) == TRUNCATED and len(whole) == LIMIT - TRUNCATED
    for line in cut:
        assert line["extraction"] == "failed: truncated" and line["scores"]["accuracy"] == 0.0
        assert line["finish_reason"] == "length"
        assert line["response"] in (None, "")  # nothing after the reasoning reached the answer
        assert line["reasoning"].startswith(f"Draft: Final Answer: {gold_of(line['prompt'][-1]['content'])}")
        assert line["usage"]["completion_tokens"] == 256
    for line in whole:
        assert line["extraction"] == "final-answer" and line["scores"]["accuracy"] == 1.0
        assert line["reasoning"] == "Short check of the table." and line["finish_reason"] == "stop"
        assert "think" not in line["response"]  # reasoning kept apart from the response
        assert line["latency_s"] > 0 and line["attempts"] == 1
    html = (tmp_path / "report.html").read_text()
    assert html.count('class="badge bad truncated"') == TRUNCATED
    assert "Tokens and cost" in html
    frame = load_run(out)
    assert frame["reasoning"].str.startswith("Draft").sum() == TRUNCATED
    assert (frame["usage.completion_tokens"] == 256).sum() == TRUNCATED and frame["finish_reason"].eq("length").sum() == TRUNCATED

    # From the cache, a reply is the same reply: still truncated, reasoning still recorded.
    lines_again = {line["id"]: line for line in read_jsonl(cached / "samples.jsonl")}
    for line in lines:
        twin = lines_again[line["id"]]
        assert twin["cached"] is True
        for key in ("extraction", "scores", "reasoning", "usage", "finish_reason", "response"):
            assert twin[key] == line[key], key


def test_split_think_blocks():
    assert split_think("<think>a b</think>\nFinal Answer: 3") == ("Final Answer: 3", "a b", False)
    assert split_think("<think>one</think>x<think>two") == ("x", "one\n\ntwo", True)
    assert split_think("no thinking") == ("no thinking", None, False)


@pytest.mark.parametrize(("reply", "truncated"), [
    (Reply(text="Final Answer: 3", finish_reason="length"), True),
    (Reply(text=None, reasoning="Final Answer: 3"), True),
    (Reply(text="  ", reasoning="Final Answer: 3"), True),
    (Reply(text="<think>Final Answer: 3"), True),
    (Reply(text="<think>ok</think>Final Answer: 3", finish_reason="stop"), False),
    (Reply(text="Final Answer: 3", reasoning="ok"), False),
    (Reply(text=""), False),  # empty, not truncated: an ordinary missing answer
])
def test_what_counts_as_truncated(reply, truncated):
    from evalsuite.engine.grading import grade

    bench = registry.create(BENCH)
    sample = next(iter(bench.samples(None, 0, 1)))
    prediction, score = grade(bench, sample, reply)
    assert (prediction.extraction_label == "failed: truncated") is truncated
    if truncated:
        assert score.values["accuracy"] == 0.0 and score.reason == "truncated"
    elif reply.text and "Final Answer" in reply.text:
        assert prediction.value == 3  # read from the content, think block removed


# -- every server's reply shape over HTTP (devserver.reply_shape, each cited to the server's source) --
SHAPES = ["vllm", "vllm-0.10", "sglang", "lmdeploy", "r1"]
DRAFTED = 3


def shaped_server(shape: str) -> DevServer:
    """The first three prompts reason to a correct draft and then say something else (no answer);
    the others reason briefly and answer correctly, all in ``shape``."""
    prompts = [s.messages[-1]["content"] for s in registry.create(BENCH).samples(None, 0, LIMIT)]
    drafted = set(prompts[:DRAFTED])

    def respond(messages):
        prompt = messages[-1]["content"]
        gold = gold_of(prompt)
        if prompt in drafted:
            return DevReply("I am not sure.", f"I count... Final Answer: {gold}", shape=shape)
        return DevReply(f"Final Answer: {gold}", "Short check of the table.", shape=shape)

    return DevServer(respond)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_server_shape_keeps_the_draft_out_of_the_answer(tmp_path, cache_dir, shape):
    with shaped_server(shape) as server:
        assert run(tmp_path / "run", server.url) == 0
    result = json.loads((tmp_path / "run" / "results.json").read_text())["benchmarks"][BENCH]
    assert result["metrics"]["accuracy"]["value"] == pytest.approx((LIMIT - DRAFTED) / LIMIT)
    for line in read_jsonl(tmp_path / "run" / "samples.jsonl"):
        drafted = line["reasoning"].startswith("I count")
        assert line["scores"]["accuracy"] == (0.0 if drafted else 1.0)
        assert line["response"] == ("I am not sure." if drafted else f"Final Answer: {gold_of(line['prompt'][-1]['content'])}")
        assert "think>" not in line["response"]


def post_chat(url: str, reply: DevReply, max_tokens: int = 50) -> dict:
    import urllib.request

    with DevServer(lambda messages: reply) as server:
        body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "q"}], "max_tokens": max_tokens})
        request = urllib.request.Request(f"{server.url}/chat/completions", data=body.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())


def test_reply_shapes_field_for_field():
    vllm = post_chat("", DevReply("42", "think", shape="vllm"))["choices"][0]
    assert vllm["message"]["reasoning"] == "think" and "reasoning_content" not in vllm["message"]
    assert vllm["stop_reason"] is None and "token_ids" in vllm
    old = post_chat("", DevReply("42", "think", shape="vllm-0.10"))["choices"][0]["message"]
    assert old["reasoning_content"] == "think" and "reasoning" not in old
    sglang = post_chat("", DevReply(None, "a b c d", shape="sglang"), max_tokens=3)
    assert sglang["choices"][0]["message"]["content"] == ""  # "" rather than null
    assert sglang["choices"][0]["finish_reason"] == "length" and sglang["usage"]["reasoning_tokens"] == 3
    lmdeploy = post_chat("", DevReply("", None, shape="lmdeploy", finish_reason="abort"))["choices"][0]
    assert (lmdeploy["message"]["content"], lmdeploy["finish_reason"]) == ("", "abort")
    r1 = post_chat("", DevReply("42", "think", shape="r1"))["choices"][0]["message"]["content"]
    assert r1 == "think\n</think>\n\n42"


# -- a server that gave up (finish_reason "abort" / "error") is an infrastructure error --
def aborting_server(abort_all: bool) -> DevServer:
    seen: set[str] = set()

    def respond(messages):
        prompt = messages[-1]["content"]
        first = prompt not in seen
        seen.add(prompt)
        if abort_all or (first and len(seen) == 1):  # LMDeploy's stopped session: HTTP 200, content ""
            return DevReply("", None, shape="lmdeploy", finish_reason="abort")
        return DevReply(f"Final Answer: {gold_of(prompt)}", None, shape="lmdeploy")

    return DevServer(respond)


def test_every_reply_aborted_fails_the_run_with_the_error_named(tmp_path, cache_dir, capsys):
    with aborting_server(abort_all=True) as server:
        assert run(tmp_path / "run", server.url, "--max-retries", "1") == 1
        assert server.stats.requests == 2 * LIMIT  # each retried once
    assert "abort" in capsys.readouterr().err
    result = json.loads((tmp_path / "run" / "results.json").read_text())["benchmarks"][BENCH]
    assert result["metrics"]["error_rate"]["value"] == 1.0
    assert all(line["error"] and "abort" in line["error"] for line in read_jsonl(tmp_path / "run" / "samples.jsonl"))


def test_one_abort_is_retried_and_changes_nothing(tmp_path, cache_dir):
    with aborting_server(abort_all=False) as server:
        assert run(tmp_path / "aborted", server.url, "--no-cache") == 0
        assert server.stats.requests == LIMIT + 1
    with DevServer(lambda m: f"Final Answer: {gold_of(m[-1]['content'])}") as server:
        assert run(tmp_path / "clean", server.url, "--no-cache") == 0

    def numbers(out):
        metrics = json.loads((out / "results.json").read_text())["benchmarks"][BENCH]["metrics"]
        return {name: metric["value"] for name, metric in metrics.items()}

    assert numbers(tmp_path / "aborted") == numbers(tmp_path / "clean")
    assert numbers(tmp_path / "clean")["accuracy"] == 1.0


@pytest.mark.parametrize(("text", "content", "reasoning", "unclosed"), [
    ("I count... Final Answer: 7\n</think>\n\nI am not sure.", "I am not sure.", "I count... Final Answer: 7", False),
    ("x</think>\n\nFinal Answer: 7", "Final Answer: 7", "x", False),
    ("<think>a</think>b</think>c", "c", "a\n\nb", False),  # the last lone closing tag ends the reasoning
    ("r</think>b<think>c", "b", "r\n\nc", True),
])
def test_lone_closing_think_tag_ends_reasoning_begun_in_the_prompt(text, content, reasoning, unclosed):
    assert split_think(text) == (content, reasoning, unclosed)
