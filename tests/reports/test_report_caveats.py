"""What the report says beside its numbers (issue 31): the data each column graded, unanswered
samples counted as a class in a confusion matrix, and TAIL overall columns pooled over
different tasks. Real runs through the command line, the page read back."""

from __future__ import annotations

import json
import subprocess
import sys

from evalsuite.benchmarks.crystal_stability import CrystalStability


def cli(*args):
    done = subprocess.run([sys.executable, "-m", "evalsuite", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_unanswered_crystal_samples_are_flagged_in_the_confusion_matrix(tmp_path):
    ids = [s.id for s in CrystalStability().samples(None, 0, 6)]
    replies = tmp_path / "echo.jsonl"
    # no stability verdict in any reply: every sample unanswered
    replies.write_text("".join(json.dumps({"id": i, "response": "Is it stable? Let me think."}) + "\n" for i in ids))
    out = tmp_path / "echo"
    cli("run", "--model", f"replay/{replies}", "--benchmark", "crystal-stability", "--first", "6", "--out", str(out),
        "--no-cache", "--no-progress")
    result = json.loads((out / "results.json").read_text())["benchmarks"]["crystal-stability"]
    assert result["missing_predictions"] == 6
    page = tmp_path / "r.html"
    cli("report", str(out), "--out", str(page))
    html = page.read_text()
    assert "6 samples without a usable prediction" in html and "TN and FN cells include them" in html
    assert "embedded (334 compounds)" in html  # the column and section name their data


def test_tail_overall_over_different_tasks_is_warned(tmp_path):
    wide, narrow = tmp_path / "wide", tmp_path / "narrow"
    cli("run", "--model", "oracle", "--benchmark", "tail/lcs,tail/levenshtein", "--limit", "6", "--out", str(wide),
        "--no-cache", "--no-progress")
    cli("run", "--model", "oracle", "--benchmark", "tail/lcs", "--limit", "6", "--out", str(narrow),
        "--no-cache", "--no-progress")
    page = tmp_path / "t.html"
    cli("report", str(wide), str(narrow), "--out", str(page))
    html = page.read_text()
    assert 'id="item-warnings"' in html
    assert "tail (overall)" in html and "pooled over different tasks (2 vs 1 tasks; 1 shared)" in html
    # the same tasks on the same items: no warning
    same = tmp_path / "same"
    cli("run", "--model", "oracle", "--benchmark", "tail/lcs", "--limit", "6", "--out", str(same),
        "--no-cache", "--no-progress")
    cli("report", str(narrow), str(same), "--out", str(page))
    assert 'id="item-warnings"' not in page.read_text()
