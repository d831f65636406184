"""An aggregate-only headline under ``--epochs``: crystal-stability F1 is computed per epoch by
the benchmark and reported as the mean over epochs with the spread; here F1 is recomputed from
the journal per epoch (positive = stable: e_above_hull <= 0; no answer = unstable)."""

from __future__ import annotations

import hashlib
import json
import statistics

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer

BENCH, N, K = "crystal-stability", 60, 3


def respond(messages, body):
    digest = hashlib.sha256(f"{messages[-1]['content']}\x00{body['seed']}".encode()).digest()[0] % 4
    return ["Final Answer: stable", "Final Answer: unstable", "Final Answer: unstable", "no idea"][digest]


def test_f1_is_the_mean_of_the_per_epoch_f1(tmp_path):
    out = tmp_path / "run"
    with DevServer(respond, with_body=True) as server:
        assert main(["run", "--model", "openai/dev", "--base-url", server.url, "--benchmark", BENCH,
                     "--limit", str(N), "--epochs", str(K), "--temperature", "0.7", "--out", str(out),
                     "--no-progress", "--no-cache"]) == 0
    lines = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    f1 = []
    for epoch in range(K):
        tp = fp = fn = 0
        for line in (x for x in lines if x["epoch"] == epoch):
            actual = line["target"]["e_above_hull"] <= 0
            predicted = line["prediction"] == "stable"
            tp += actual and predicted
            fp += predicted and not actual
            fn += actual and not predicted
        f1.append(2 * tp / (2 * tp + fp + fn))
    entry = json.loads((out / "results.json").read_text())["benchmarks"][BENCH]
    assert entry["headline"] == "f1" and entry["epochs"] == K
    assert abs(entry["metrics"]["f1"]["value"] - statistics.mean(f1)) < 1e-12
    spread = entry["epoch_spread"]["f1"]
    assert all(abs(a - b) < 1e-12 for a, b in zip(spread["per_epoch"], f1, strict=True))
    assert abs(spread["sd"] - statistics.stdev(f1)) < 1e-12 and spread["sd"] > 0
    assert "arity" in entry["groups"]  # the benchmark's own groups, averaged over epochs
    assert "maj@3" not in entry["metrics"] and entry["metrics"]["consistency"]["n"] == N
