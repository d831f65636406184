"""``--epochs 4`` against an OpenAI-compatible server that takes ``n``: one request per item
carrying ``n: 4``, four epochs journaled with the replies separate requests (seeds 0..3) get, so
scores, pass@k, maj@K and avg@K are those of a run with ``--no-n-sampling``; the prompt is
counted once. A server that refuses ``n`` (400) or ignores it (one choice) gets the epochs as
separate requests after one warning. The dev server answers choice i of an n-request as the
request with seed + i would be answered (devserver module doc), which is what makes the runs
comparable reply for reply."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from evalsuite.backends.openai_compat import n_choices
from evalsuite.cli import main
from evalsuite.integrations.devserver import DevReply, DevServer

from .conftest import BENCH, golds, journal, reply_for, results, run_args, seeded_responder

N = 12


def scored(run) -> dict:
    return {(line["id"], line["epoch"]): (line["response"], line["scores"], line["finish_reason"]) for line in journal(run)}


def metrics(run) -> dict:
    return {name: {k: v for k, v in res.items() if k != "accounting"} for name, res in results(run)["benchmarks"].items()}


def tokens(run, name: str) -> int:
    return sum((line.get("usage") or {}).get(name, 0) for line in journal(run))


def test_one_request_per_item_with_n_equals_separate_requests(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    table = golds(N)
    with DevServer(seeded_responder(table), with_body=True) as server:
        assert main(run_args(tmp_path / "n", server.url, N, 4)) == 0
        assert server.stats.requests == N
        assert {(body.get("n"), body.get("seed")) for body in server.stats.bodies} == {(4, 0)}
        assert server.stats.seeds == {(prompt, seed): 1 for prompt in table for seed in range(4)}

        assert main(run_args(tmp_path / "sep", server.url, N, 4, "--no-n-sampling", "--no-cache")) == 0
        assert server.stats.requests == N + 4 * N
        assert all("n" not in body for body in server.stats.bodies[N:])

        sent = server.stats.requests
        assert main(run_args(tmp_path / "again", server.url, N, 4)) == 0  # every epoch cached on its own
        assert server.stats.requests == sent
    assert "does not honour n" not in capsys.readouterr().err

    n_run, separate = scored(tmp_path / "n"), scored(tmp_path / "sep")
    assert len(n_run) == 4 * N and n_run == separate == scored(tmp_path / "again")
    assert {finish for _, _, finish in n_run.values()} == {"stop"}
    for line in journal(tmp_path / "n"):
        prompt = line["prompt"][-1]["content"]
        assert line["response"] == reply_for(prompt, line["epoch"], table[prompt])
    assert metrics(tmp_path / "n") == metrics(tmp_path / "sep")
    result = results(tmp_path / "n")["benchmarks"][BENCH]["metrics"]
    assert {"pass@1", "pass@4", "maj@4"} <= set(result)

    # The prompt is prefilled once per item: its tokens (whitespace words on the dev server) count
    # once with n, four times without; the completions are the same words either way.
    prompt_words = sum(len(prompt.split()) for prompt in table)
    assert tokens(tmp_path / "n", "prompt_tokens") == prompt_words
    assert tokens(tmp_path / "sep", "prompt_tokens") == 4 * prompt_words
    assert tokens(tmp_path / "n", "completion_tokens") == tokens(tmp_path / "sep", "completion_tokens") == sum(
        len(reply_for(p, e, g).split()) for p, g in table.items() for e in range(4))


@pytest.mark.parametrize("support", ["reject", "ignore"])
def test_server_without_n_gets_separate_requests_after_one_warning(tmp_path, monkeypatch, capsys, support):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    table = golds(N)
    with DevServer(seeded_responder(table), with_body=True, n_support=support) as server:
        assert main(run_args(tmp_path / "run", server.url, N, 4, "--max-concurrency", "4")) == 0
        answered = Counter(server.stats.seeds)
    err = capsys.readouterr().err
    assert err.count("does not honour n") == 1
    assert ("n > 1 is not supported" in err) if support == "reject" else ("1 choices came back for n=4" in err)
    lines = journal(tmp_path / "run")
    assert Counter((line["id"], line["epoch"]) for line in lines) == {(line["id"], e): 1 for line in lines for e in range(4)}
    assert len(lines) == 4 * N and not any(line["error"] for line in lines)
    for line in lines:
        prompt = line["prompt"][-1]["content"]
        assert line["response"] == reply_for(prompt, line["epoch"], table[prompt])
    # Every epoch was answered by a request carrying its own seed (rejected n-requests aside).
    assert all(answered[(prompt, seed)] >= 1 for prompt in table for seed in range(4))


def test_usage_shared_out_over_choices():
    """Prompt tokens evenly, completion and reasoning tokens by each choice's length; each total kept."""
    data = {"choices": [
        {"index": 1, "message": {"content": "b" * 20, "reasoning_content": "r" * 30}, "finish_reason": "length"},
        {"index": 0, "message": {"content": "a" * 10}, "finish_reason": "stop"},
    ], "usage": {"prompt_tokens": 7, "completion_tokens": 60, "completion_tokens_details": {"reasoning_tokens": 30}}}
    first = n_choices(json.loads(json.dumps(data)), 2)
    assert first is not None and first.choices is not None
    a, b = first.choices
    assert (a.text, a.finish_reason, a.reasoning) == ("a" * 10, "stop", None)
    assert (b.text, b.finish_reason, b.reasoning) == ("b" * 20, "length", "r" * 30)
    # 10 of 60 characters are a's: 60 * 10/60 = 10 completion tokens; b's 50 -> 50. Prompt 7 -> 4 + 3.
    assert a.usage == {"prompt_tokens": 4, "completion_tokens": 10, "reasoning_tokens": 0}
    assert b.usage == {"prompt_tokens": 3, "completion_tokens": 50, "reasoning_tokens": 30}


def test_an_n_request_with_a_choice_the_server_gave_up_on_is_retried_whole(tmp_path, monkeypatch):
    """A choice with finish_reason "abort" (the server gave up, HTTP 200 all the same) is never
    journaled as an answer: the whole n-request is sent again, as a one-choice request would be."""
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    table = golds(N)
    aborted: set[str] = set()
    answer = seeded_responder(table)

    def respond(messages, body):
        prompt = messages[-1]["content"]
        if body["seed"] == 2 and prompt not in aborted:  # the third choice, the first time only
            aborted.add(prompt)
            return DevReply("partial", finish_reason="abort")
        return answer(messages, body)

    with DevServer(respond, with_body=True) as server:
        assert main(run_args(tmp_path / "run", server.url, N, 4, "--retry-base-delay", "0.01")) == 0
        assert server.stats.requests == 2 * N
    lines = journal(tmp_path / "run")
    assert len(lines) == 4 * N and not any(line["error"] for line in lines)
    assert all(line["finish_reason"] == "stop" for line in lines)
    for line in lines:
        prompt = line["prompt"][-1]["content"]
        assert line["response"] == reply_for(prompt, line["epoch"], table[prompt])
