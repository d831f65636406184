"""Re-running a finished run keeps the provenance of its first completion (issue 31): the
rerun sends nothing, so its own start, 0.05 s and "0 sent to the model" must not replace what
the run measured; it is appended to ``sessions`` instead."""

from __future__ import annotations

import json
import subprocess
import sys

from evalsuite.files.frames import read_run

FIRST = {"started": "2020-01-01T00:00:00+00:00", "finished": "2020-01-01T00:01:40+00:00", "wall_seconds": 100.0}


def run(out):
    cmd = [sys.executable, "-m", "evalsuite", "run", "--model", "oracle", "--benchmark", "tail/lcs", "--limit", "6",
           "--out", str(out), "--no-cache", "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "results.json").read_text())["run"], done.stdout


def test_rerun_keeps_the_first_completion_and_appends_its_timing(tmp_path):
    out = tmp_path / "run"
    first, _ = run(out)
    assert first["requests"]["sent_to_model"] == 6 and len(first["sessions"]) == 1
    # the first completion, dated so that no rerun could produce these values by accident
    data = json.loads((out / "results.json").read_text())
    data["run"].update(FIRST)
    data["run"]["sessions"][0].update(FIRST)
    (out / "results.json").write_text(json.dumps(data))

    again, stdout = run(out)
    assert again["started"] == FIRST["started"] and again["finished"] == FIRST["finished"]
    assert again["requests"]["sent_to_model"] == 6  # what the run sent, not the rerun's 0
    assert again["wall_seconds"] >= FIRST["wall_seconds"]
    assert len(again["sessions"]) == 2
    assert again["sessions"][0]["started"] == FIRST["started"]
    assert again["sessions"][1]["requests"]["sent_to_model"] == 0
    assert again["sessions"][1]["requests"]["skipped_journal"] == 6
    assert "2 invocations" in stdout
    # the leaderboard dates the run by its first completion
    assert read_run(out, with_samples=False).date == FIRST["finished"]


def test_overwrite_starts_the_provenance_anew(tmp_path):
    out = tmp_path / "run"
    run(out)
    data = json.loads((out / "results.json").read_text())
    data["run"].update(FIRST)
    (out / "results.json").write_text(json.dumps(data))
    cmd = [sys.executable, "-m", "evalsuite", "run", "--model", "oracle", "--benchmark", "tail/lcs", "--limit", "6",
           "--out", str(out), "--no-cache", "--no-progress", "--overwrite"]
    assert subprocess.run(cmd, capture_output=True, text=True, timeout=120).returncode == 0
    fresh = json.loads((out / "results.json").read_text())["run"]
    assert fresh["started"] != FIRST["started"] and len(fresh["sessions"]) == 1
