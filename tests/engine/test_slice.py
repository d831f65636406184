"""The vertical slice end to end through the CLI: oracle, replay, journal, cache, config guard."""

from __future__ import annotations

import json
from decimal import Decimal

from evalsuite.cli import main

from .conftest import read_jsonl

SLICE = "tail/large-number-addition,tail/compare-numbers"


def results_of(out):
    return json.loads((out / "results.json").read_text())


def test_oracle_scores_one_on_every_bucket(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--model", "oracle", "--benchmark", SLICE, "--limit", "50", "--out", str(out), "--no-progress"]) == 0
    data = results_of(out)
    for name in ("tail/large-number-addition", "tail/compare-numbers"):
        res = data["benchmarks"][name]
        assert res["n"] == 50
        assert res["metrics"]["accuracy"]["value"] == 1.0
        assert set(res["groups"]["bucket"]) == {"S", "M", "L"}
        for bucket in res["groups"]["bucket"].values():
            assert bucket["metrics"]["accuracy"]["value"] == 1.0
    lines = read_jsonl(out / "samples.jsonl")
    assert len(lines) == 100
    required = {"benchmark", "id", "prompt", "response", "prediction", "target", "scores", "extraction", "error"}
    assert all(required <= set(line) for line in lines)


def off_by_one(target: str) -> str:
    value = Decimal(target)
    step = Decimal(1).scaleb(value.as_tuple().exponent) if value.as_tuple().exponent < 0 else Decimal(1)
    return format(value + step, "f")


def test_replay_with_answers_off_by_one_scores_zero(tmp_path, capsys):
    assert main(["samples", "tail/large-number-addition", "--limit", "30"]) == 0
    samples = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    replay = tmp_path / "replay.jsonl"
    with replay.open("w") as handle:
        for sample in samples:
            handle.write(json.dumps({"id": sample["id"], "response": f"Final Answer: {off_by_one(sample['target'])}"}) + "\n")
    out = tmp_path / "run"
    code = main(["run", "--model", f"replay/{replay}", "--benchmark", "tail/large-number-addition",
                 "--limit", "30", "--out", str(out), "--no-progress"])
    assert code == 0
    res = results_of(out)["benchmarks"]["tail/large-number-addition"]
    assert res["metrics"]["accuracy"]["value"] == 0.0
    assert res["metrics"]["extraction_failure_rate"]["value"] == 0.0  # wrong, not unreadable


def test_replay_missing_ids_are_errors_not_crashes(tmp_path):
    replay = tmp_path / "replay.jsonl"
    replay.write_text(json.dumps({"id": "S-0000", "response": "Final Answer: >"}) + "\n")
    out = tmp_path / "run"
    assert main(["run", "--model", f"replay/{replay}", "--benchmark", "tail/compare-numbers",
                 "--limit", "3", "--out", str(out), "--no-progress"]) == 1  # 2 of 3 errors > 0.1
    lines = {line["id"]: line for line in read_jsonl(out / "samples.jsonl")}
    assert lines["M-0000"]["error"] == "replay file has no line for id 'M-0000'"
    assert lines["M-0000"]["scores"]["accuracy"] == 0.0


def test_broken_replay_line_names_file_and_line(tmp_path, capsys):
    replay = tmp_path / "bad.jsonl"
    replay.write_text('{"id": "S-0000", "response": "x"}\n{not json\n')
    code = main(["run", "--model", f"replay/{replay}", "--benchmark", "tail/compare-numbers",
                 "--limit", "3", "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 2
    # '{' then 'n' at column 2, where a property name in double quotes was expected.
    assert f"{replay}:2: not valid JSON (Expecting property name enclosed in double quotes at column 2)" \
        in capsys.readouterr().err


def test_control_character_in_a_replay_line_names_its_column(tmp_path, capsys):
    replay = tmp_path / "bad.jsonl"
    replay.write_text('{"id": "S-0000", "response": "a\tb"}\n')  # a raw tab inside a JSON string
    code = main(["run", "--model", f"replay/{replay}", "--benchmark", "tail/compare-numbers",
                 "--limit", "1", "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 2
    assert f"{replay}:1: not valid JSON (Invalid control character at column 32)" in capsys.readouterr().err


def test_run_dir_with_other_configuration_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    base = ["run", "--model", "oracle", "--benchmark", "tail/compare-numbers", "--out", str(out), "--no-progress"]
    assert main([*base, "--limit", "6"]) == 0
    assert main([*base, "--limit", "9"]) == 2
    assert "different configuration" in capsys.readouterr().err
    assert main([*base, "--limit", "9", "--overwrite"]) == 0
    assert results_of(out)["benchmarks"]["tail/compare-numbers"]["n"] == 9


def test_unknown_benchmark_and_option_are_clear_errors(tmp_path, capsys):
    assert main(["run", "--model", "oracle", "--benchmark", "tail/nope", "--out", str(tmp_path / "a")]) == 2
    assert "unknown benchmark 'tail/nope'" in capsys.readouterr().err
    assert main(["run", "--model", "oracle", "--benchmark", "tail/compare-numbers", "--set", "colour=red",
                 "--out", str(tmp_path / "b")]) == 2
    assert "no selected benchmark has an option 'colour'" in capsys.readouterr().err


def test_list_prints_name_then_description(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split("\t")[0] for line in lines]
    assert "tail/large-number-addition" in names and "tail/compare-numbers" in names
    assert all("\t" in line and line.split("\t")[1] for line in lines)


def test_run_killed_before_planning_finished_resumes(tmp_path, capsys):
    """A fresh run plans its samples while the first requests go out, and writes config.json
    provisionally (no sample count or hash) until planning ends. A run killed in that window
    resumes: the provisional fingerprint is compared without them, then completed."""
    out = tmp_path / "run"
    base = ["run", "--model", "oracle", "--benchmark", "tail/compare-numbers", "--out", str(out), "--no-progress"]
    assert main([*base, "--limit", "12"]) == 0
    config = json.loads((out / "config.json").read_text())
    spec = config["benchmarks"]["tail/compare-numbers"]
    assert spec["samples"] == 12 and len(spec["data_hash"]) == 16
    # Rewind to the state of a kill during planning: provisional config, half the journal.
    provisional = dict(config, benchmarks={"tail/compare-numbers": dict(spec, samples=None, data_hash=None)})
    (out / "config.json").write_text(json.dumps(provisional))
    (out / "results.json").unlink()
    lines = (out / "samples.jsonl").read_text().splitlines(keepends=True)
    (out / "samples.jsonl").write_text("".join(lines[:5]))
    assert main([*base, "--limit", "9"]) == 2  # other settings are still refused
    assert "different configuration" in capsys.readouterr().err
    assert main([*base, "--limit", "12"]) == 0
    assert json.loads((out / "config.json").read_text()) == config
    data = results_of(out)
    assert data["run"]["requests"]["skipped_journal"] == 5
    assert data["benchmarks"]["tail/compare-numbers"]["metrics"]["accuracy"]["value"] == 1.0
    assert len(read_jsonl(out / "samples.jsonl")) == 12


def test_broken_data_row_found_while_running_names_file_and_line(tmp_path, shared_data, capsys):
    rows = (shared_data / "uspto50k" / "test.csv").read_text().splitlines()[:40]
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([*rows, "US123,3,not a reaction", *rows[1:5]]) + "\n")
    code = main(["run", "--model", "oracle", "--benchmark", "retrosynthesis", "--data", str(broken),
                 "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 2
    assert f"{broken}:41:" in capsys.readouterr().err
