"""Token, latency and cost accounting in results.json against what a real HTTP server reported.

The dev server counts whitespace words as tokens, so every figure below is worked out by hand
from the replies the test chose; latency percentiles are checked against Python's
``statistics`` (inclusive method = linear interpolation), an implementation the product does not use.
"""

from __future__ import annotations

import json
import statistics

import pytest

from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.integrations.devserver import DevReply, DevServer

from .conftest import read_jsonl

BENCH = "tail/lcs"
REASONING_WORDS = [10, 20, 30, 40, 100]
CORRECT = [True, True, False, True, False]


def test_totals_percentiles_and_cost_are_the_servers_numbers(tmp_path, cache_dir, capsys):
    samples = list(registry.create(BENCH).samples(None, 0, 5))
    plan = {s.messages[-1]["content"]: (words, right, s.target)
            for s, words, right in zip(samples, REASONING_WORDS, CORRECT, strict=True)}

    def respond(messages):
        words, right, target = plan[messages[-1]["content"]]
        answer = target if right else str(int(target) + 1)
        return DevReply(f"Final Answer: {answer}", " ".join(["hmm"] * words))  # content: 3 words

    prompt_words = sum(len(s.messages[-1]["content"].split()) for s in samples)
    with DevServer(respond) as server:
        out = tmp_path / "run"
        assert main(["run", "--model", "openai/dev", "--base-url", server.url, "--benchmark", BENCH, "--limit", "5",
                     "--price", "2,10", "--out", str(out), "--no-progress"]) == 0
    data = json.loads((out / "results.json").read_text())
    spent = data["benchmarks"][BENCH]["accounting"]
    # completion tokens per sample: reasoning + 3 -> 13, 23, 33, 43, 103
    assert spent["samples"] == 5 and spent["with_usage"] == 5
    assert spent["prompt_tokens"] == prompt_words
    assert spent["completion_tokens"] == 215 and spent["reasoning_tokens"] == 200
    per_sample = spent["completion_tokens_per_sample"]
    assert per_sample["mean"] == 43.0 and per_sample["p50"] == 33.0 and per_sample["max"] == 103.0
    assert per_sample["p95"] == pytest.approx(43 + 0.8 * (103 - 43))  # rank 0.95 * 4 = 3.8
    assert spent["correct"] == 3 and spent["tokens_per_correct"] == pytest.approx(215 / 3)
    cost = spent["cost"]
    assert cost["input"] == pytest.approx(prompt_words * 2 / 1e6)
    assert cost["output"] == pytest.approx(215 * 10 / 1e6)
    assert cost["total"] == pytest.approx(prompt_words * 2 / 1e6 + 215 * 10 / 1e6)
    latencies = [line["latency_s"] for line in read_jsonl(out / "samples.jsonl")]
    assert spent["latency_s"]["p50"] == pytest.approx(statistics.median(latencies))
    assert spent["latency_s"]["p95"] == pytest.approx(statistics.quantiles(latencies, n=20, method="inclusive")[18])
    assert spent["latency_s"]["max"] == pytest.approx(max(latencies))
    # the run's accounting: one benchmark, the same figures, plus the wall time
    run = data["accounting"]
    assert {k: v for k, v in run.items() if k != "wall_seconds"} == spent
    assert run["wall_seconds"] == data["run"]["wall_seconds"]
    assert data["run"]["prices"] == {"input_per_million": 2.0, "output_per_million": 10.0}
    table = capsys.readouterr().out
    assert "tokens/sample" in table and "truncated" in table and "cost" in table
    assert "215 completion (200 reasoning)" in table


def test_a_resumed_run_accounts_each_sample_once_and_oracle_has_no_tokens(tmp_path, cache_dir):
    out = tmp_path / "run"
    args = ["run", "--model", "oracle", "--benchmark", BENCH, "--limit", "4", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    with (out / "samples.jsonl").open("a") as handle:  # a repeated line, as a resume may leave
        handle.write((out / "samples.jsonl").read_text().splitlines()[0] + "\n")
    assert main(args) == 0
    spent = json.loads((out / "results.json").read_text())["benchmarks"][BENCH]["accounting"]
    assert spent["samples"] == 4 and spent["with_usage"] == 0
    assert spent["completion_tokens"] == 0 and spent["tokens_per_correct"] is None and spent["cost"] is None
    assert spent["correct"] == 4
