"""Run identity is the model and its settings, not the address it was reached at."""

from __future__ import annotations

import json

from evalsuite.cli import main
from evalsuite.engine.rundir import differing_keys
from evalsuite.integrations.devserver import DevServer

from .conftest import oracle_replies, read_jsonl

BENCH = "tail/compare-numbers"


def run(out, url, *extra):
    return main(["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", "6",
                 "--out", str(out), "--no-progress", *extra])


def server_for(limit=6):
    replies = oracle_replies(BENCH, limit)
    return DevServer(lambda m: replies[m[-1]["content"]])


def test_resume_through_another_url_of_the_same_model_proceeds(tmp_path, cache_dir):
    out = tmp_path / "r"
    replies = oracle_replies(BENCH, 6)
    failing = set(sorted(replies)[:3])

    def half_broken(messages):
        if messages[-1]["content"] in failing:
            raise RuntimeError("overloaded")  # 400: those samples are journaled as errors
        return replies[messages[-1]["content"]]

    with DevServer(half_broken) as first:
        assert run(out, first.url, "--no-cache") == 1  # 50% errors
    # The server moved to another port and is reached by name instead of address: a resume
    # redoes only the failed samples (the journal drops error lines when it resumes).
    with server_for() as moved:
        other_url = f"http://localhost:{moved.port}/v1"
        assert run(out, other_url, "--no-cache") == 0
        assert moved.stats.requests == 3
    run_info = json.loads((out / "results.json").read_text())["run"]
    assert run_info["endpoints"] == [first.url, other_url]
    assert "127.0.0.1" not in (out / "config.json").read_text()  # the address is not identity
    records = read_jsonl(out / "samples.jsonl")
    assert sum(1 for r in records if not r["error"] and r["scores"]["accuracy"] == 1.0) == 6


def test_cached_replies_are_found_through_another_url(tmp_path, cache_dir):
    with server_for() as first:
        assert run(tmp_path / "a", first.url) == 0
        assert first.stats.requests == 6
    with server_for() as second:
        assert run(tmp_path / "b", f"http://localhost:{second.port}/v1") == 0
        assert second.stats.requests == 0 and second.stats.probes == 0  # every reply from the cache
    requests = json.loads((tmp_path / "b" / "results.json").read_text())["run"]["requests"]
    assert requests["from_cache"] == 6


def test_mismatch_names_exactly_the_nested_keys_that_differ(tmp_path, capsys):
    out = tmp_path / "r"
    args = ["run", "--model", "oracle", "--benchmark", BENCH, "--limit", "2", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    assert main([*args, "--temperature", "0.7", "--max-tokens", "64"]) == 2
    err = capsys.readouterr().err
    assert (f"differs in: benchmarks.{BENCH}.generation.max_tokens (was 1024, now 64), "
            f"benchmarks.{BENCH}.generation.temperature (was 0.0, now 0.7)") in err


def test_differing_keys_reports_leaves_and_one_sided_keys():
    old = {"a": 1, "b": {"c": [1, 2], "d": "x"}, "gone": True}
    new = {"a": 1, "b": {"c": [1, 3], "d": "x"}, "added": None}
    assert differing_keys(old, new) == [
        ("added", "(absent)", None), ("b.c", [1, 2], [1, 3]), ("gone", True, "(absent)")]
