"""`run_gate` / `run_compare` end to end on real run directories."""

from __future__ import annotations

import json
import shutil

import pytest

from evalsuite.gate.compare import run_compare, run_gate


@pytest.fixture(scope="session")
def replays(tmp_path_factory, rd):
    """1,000-item replay runs of tail/large-number-addition: all right, and 10% / 1% flipped wrong."""
    root = tmp_path_factory.mktemp("replays")
    return {
        "base": rd.replay_run(root / "base", 0.0),
        "again": rd.replay_run(root / "again", 0.0),
        "ten": rd.replay_run(root / "ten", 0.10),
        "one": rd.replay_run(root / "one", 0.01),
    }


def _gate(tmp_path, base, cand, policy=None, capsys=None):
    out = tmp_path / "gate.json"
    code = run_gate(base, cand, policy, json_out=out)
    return code, json.loads(out.read_text())


def test_identical_runs_pass(replays, tmp_path, rd):
    code, report = _gate(tmp_path, replays["base"], replays["again"])
    assert code == 0 and report["verdict"] == "pass"
    [row] = report["rows"]
    assert (row["benchmark"], row["metric"], row["n"]) == (rd.TAIL, "accuracy", 1000)
    assert row["discordant"] == [0, 0] and row["p"] == 1.0 and row["verdict"] == "PASS"


def test_ten_percent_flipped_fails(replays, tmp_path, capsys):
    code, report = _gate(tmp_path, replays["base"], replays["ten"])
    assert code == 1 and report["verdict"] == "fail"
    [row] = report["rows"]
    assert row["discordant"] == [100, 0]
    assert row["diff"] == pytest.approx(-0.10)
    assert row["p"] == pytest.approx(2 * 0.5**100)
    assert row["verdict"] == "FAIL"
    out = capsys.readouterr().out
    assert "evalsuite gate: ❌ FAIL" in out and "| tail/large-number-addition | accuracy | ↑ | 1000 |" in out


def test_one_percent_flipped_never_fails(replays, tmp_path):
    code, report = _gate(tmp_path, replays["base"], replays["one"])
    assert code == 0
    [row] = report["rows"]
    assert row["discordant"] == [10, 0]
    assert row["verdict"] in ("PASS", "WARN")


def test_aggregate_only_metric_is_recomputed_by_bootstrap(replays, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("alpha: 0.05\nguards:\n  - benchmark: 'tail/*'\n    metric: id_accuracy\n"
                      "  - benchmark: tail/large-number-addition\n    metric: accuracy\n    margin: 0.5\n")
    code, report = _gate(tmp_path, replays["base"], replays["ten"], policy)
    assert code == 1
    by_metric = {r["metric"]: r for r in report["rows"]}
    assert by_metric["id_accuracy"]["test"] == "paired-bootstrap (recomputed)"
    assert by_metric["id_accuracy"]["verdict"] == "FAIL"
    assert by_metric["id_accuracy"]["ci95"][1] < 0
    # A drop of 0.10 within a 0.5 margin passes however significant it is.
    assert by_metric["accuracy"]["verdict"] == "PASS"
    # Holm over two guards: the smaller p is doubled.
    smaller = min(report["rows"], key=lambda r: r["p"])
    assert smaller["p_holm"] == pytest.approx(min(1.0, 2 * smaller["p"]))


def test_disjoint_item_sets_are_incomparable(tmp_path, rd, capsys):
    a = rd.toy_run(tmp_path / "a", "m1", 100)
    b = rd.toy_run(tmp_path / "b", "m2", 100, start=100)
    code, report = _gate(tmp_path, a, b)
    assert code == 2 and report["verdict"] == "incomparable"
    captured = capsys.readouterr()
    assert "sample ids differ: 100 only in baseline ('item-0000'" in captured.err
    assert "100 only in candidate ('item-0100'" in captured.out
    assert "0 shared" in report["problems"][0]


def test_prompt_hash_and_version_differences_are_named(tmp_path, rd, capsys):
    a = rd.toy_run(tmp_path / "a", "m1", 30)
    b = rd.toy_run(tmp_path / "b", "m2", 30, configs={"toy": {"version": "2", "data_hash": "sha256:other"}})
    lines = (b / "samples.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    first["prompt_hash"] = "f" * 64
    (b / "samples.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    code, report = _gate(tmp_path, a, b)
    assert code == 2
    text = "\n".join(report["problems"])
    assert "toy: benchmark version differs (baseline '1', candidate '2')" in text
    assert "toy: benchmark data_hash differs" in text
    assert "prompt hashes differ for 1 of 30 items (e.g. id 'item-0000'" in text


def test_generation_settings_may_differ(tmp_path, rd):
    a = rd.toy_run(tmp_path / "a", "m1", 30)
    b = rd.toy_run(tmp_path / "b", "m2", 30, configs={"toy": {"generation": {"temperature": 0.7}}})
    assert run_gate(a, b, None) == 0


@pytest.mark.parametrize("breakage", ["missing", "not-json", "no-scores", "policy"])
def test_bad_input_exits_2_with_a_clear_message(tmp_path, rd, capsys, breakage):
    a = rd.toy_run(tmp_path / "a", "m1", 10)
    b = rd.toy_run(tmp_path / "b", "m2", 10)
    policy = None
    if breakage == "missing":
        shutil.rmtree(b)
        expected = "not a run directory"
    elif breakage == "not-json":
        with (b / "samples.jsonl").open("a") as handle:
            handle.write("{oops\n")
        expected = "samples.jsonl:11: not JSON"
    elif breakage == "no-scores":
        (b / "samples.jsonl").write_text(json.dumps({"benchmark": "toy", "id": "x"}) + "\n")
        expected = "samples.jsonl:1: missing scores"
    else:
        policy = tmp_path / "p.yaml"
        policy.write_text("guards:\n  - benchmark: toy\n    direction: up\n")
        expected = "direction must be 'higher' or 'lower'"
    assert run_gate(a, b, policy) == 2
    assert expected in capsys.readouterr().err


def test_policy_for_unknown_benchmark_is_bad_input(tmp_path, rd, capsys):
    a = rd.toy_run(tmp_path / "a", "m1", 10)
    policy = tmp_path / "p.yaml"
    policy.write_text("guards: [retrosynthesis]\n")
    assert run_gate(a, a, policy) == 2
    assert "guards benchmark 'retrosynthesis', which the baseline run does not have" in capsys.readouterr().err


def test_warn_when_drop_exceeds_margin_but_is_not_significant(tmp_path, rd, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    a = rd.toy_run(tmp_path / "a", "m1", 40)
    b = rd.toy_run(tmp_path / "b", "m2", 40, wrong=[3, 17])  # drop 0.05 > 0.02, p = 0.5
    code, report = _gate(tmp_path, a, b)
    assert code == 0
    assert report["rows"][0]["verdict"] == "WARN"
    assert report["rows"][0]["p"] == pytest.approx(0.5)
    text = summary.read_text()
    assert text.startswith("# earlier step\n") and "⚠️ WARN" in text and "`m2`" in text


def test_lower_is_better_direction_from_policy(tmp_path, rd):
    a = rd.toy_run(tmp_path / "a", "m1", 200)
    b = rd.toy_run(tmp_path / "b", "m2", 200, wrong=range(0, 200, 4))  # accuracy 1.0 -> 0.75
    policy = tmp_path / "p.yaml"
    policy.write_text("guards:\n  - {benchmark: toy, metric: accuracy, direction: lower}\n")
    code, report = _gate(tmp_path, a, b, policy)
    # Read as "lower is better", falling accuracy is an improvement.
    assert code == 0 and report["rows"][0]["drop"] < 0 and report["rows"][0]["verdict"] == "PASS"


def test_compare_prints_paired_differences_without_verdict(replays, capsys):
    assert run_compare(replays["base"], replays["ten"]) == 0
    out = capsys.readouterr().out
    assert "| tail/large-number-addition | accuracy | ↑ | 1000 | 1 | 0.9 | -0.1 [" in out
    assert "FAIL" not in out and "PASS" not in out


def test_compare_refuses_disjoint_runs(tmp_path, rd, capsys):
    a = rd.toy_run(tmp_path / "a", "m1", 10)
    b = rd.toy_run(tmp_path / "b", "m2", 10, start=50)
    assert run_compare(a, b) == 2
    assert "sample ids differ" in capsys.readouterr().err
