"""``--epochs 8`` against a server whose right answers depend on the seed: avg@8, pass@1/2/4/8,
maj@8 and consistency equal what this file computes from the server's answer table with its own
code (math.comb for Chen et al.'s estimator, a Counter for the vote), not the product's."""

from __future__ import annotations

import math
from collections import Counter
from decimal import Decimal

import pytest

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer

from .conftest import BENCH, answer_of, golds, journal, reply_for, results, run_args, seeded_responder

N, K = 40, 8


def by_hand(table: dict[str, str]) -> dict[str, float]:
    correct, answers = {}, {}
    for prompt, gold in table.items():
        answers[prompt] = [answer_of(prompt, seed, gold) for seed in range(K)]
        correct[prompt] = [a is not None and a == Decimal(gold) for a in answers[prompt]]
    out = {"accuracy": sum(sum(c) for c in correct.values()) / (N * K)}
    for k in (1, 2, 4, 8):
        out[f"pass@{k}"] = sum(1 - math.comb(K - sum(c), k) / math.comb(K, k) for c in correct.values()) / N
    majority_right = 0
    agree = 0
    for prompt, gold in table.items():
        votes = [a for a in answers[prompt] if a is not None]
        agree += len(set(answers[prompt])) == 1
        if not votes:
            continue  # no answer at all: maj@K counts the item wrong
        counts = Counter(votes)
        top = max(counts.values())
        winner = next(a for a in votes if counts[a] == top)  # the first answer reaching the top count
        majority_right += winner == Decimal(gold)
    out[f"maj@{K}"] = majority_right / N
    out["consistency"] = agree / N
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("epochs8")
    table = golds(N)
    with DevServer(seeded_responder(table), with_body=True) as server:
        assert main(run_args(tmp / "run", server.url, N, K, "--no-cache")) == 0
        seeds = dict(server.stats.seeds)
    return tmp / "run", table, seeds


def test_metrics_equal_the_hand_computed_values(run):
    out, table, _ = run
    expected = by_hand(table)
    entry = results(out)["benchmarks"][BENCH]
    got = {name: entry["metrics"][name]["value"] for name in expected}
    assert got == pytest.approx(expected, abs=1e-12)
    # not a degenerate table: some items right sometimes, pass@k rises with k, a vote that matters
    assert 0.2 < expected["accuracy"] < 0.6
    assert expected["pass@1"] < expected["pass@2"] < expected["pass@4"] < expected["pass@8"] < 1.0
    assert expected[f"maj@{K}"] != pytest.approx(expected["accuracy"])
    assert entry["epochs"] == K and results(out)["run"]["epochs"] == K


def test_intervals_are_over_items_and_names_are_declared(run):
    out, _, _ = run
    entry = results(out)["benchmarks"][BENCH]
    for name in ("accuracy", "pass@1", "pass@4", f"maj@{K}"):
        metric = entry["metrics"][name]
        assert metric["n"] == N  # items, not N x K replies
        lo, hi = metric["ci95"]
        assert lo <= metric["value"] <= hi and hi - lo > 0.02
    assert entry["higher_is_better"]["pass@8"] is True and entry["higher_is_better"][f"maj@{K}"] is True
    assert entry["higher_is_better"]["consistency"] is None  # descriptive
    assert set(entry["groups"]) == {"bucket", "length"}
    assert sum(g["n"] for g in entry["groups"]["bucket"].values()) == N


def test_one_request_per_item_and_epoch_with_seed_plus_epoch(run):
    out, table, seeds = run
    assert seeds == {(prompt, seed): 1 for prompt in table for seed in range(K)}
    lines = journal(out)
    assert len(lines) == N * K
    assert Counter(line["epoch"] for line in lines) == {e: N for e in range(K)}
    for line in lines:  # the reply journaled under epoch e is the one the server gave for seed e
        prompt = line["prompt"][-1]["content"]
        assert line["response"] == reply_for(prompt, line["epoch"], table[prompt])
