"""An interrupted run (config.json and samples.jsonl, no results.json) is read as partial:
load_run, load_results, report, compare and gate aggregate its journal instead of refusing it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evalsuite import load_results, load_run
from evalsuite.files.frames import read_run
from evalsuite.reports import write_report


@pytest.fixture(scope="module")
def runs(rd, tmp_path_factory):
    root = tmp_path_factory.mktemp("partial")
    full = rd.replay_run(root / "full", 0.25, n=24, salt="p")
    cut = rd.replay_run(root / "cut", 0.25, n=24, salt="p")
    # Interrupted after 10 samples, the 11th half written: no results.json.
    (cut / "results.json").unlink()
    lines = (cut / "samples.jsonl").read_text().splitlines(keepends=True)
    (cut / "samples.jsonl").write_text("".join(lines[:10]) + lines[10][:40])
    return full, cut, [json.loads(line) for line in lines[:10]]


def test_read_run_aggregates_the_journal_and_says_partial(runs, rd):
    full, cut, kept = runs
    run = read_run(cut)
    assert run.partial and not read_run(full).partial
    result = run.benchmarks[rd.TAIL]
    assert result["n"] == 10 and result["partial"] is True and result["planned"] == 24
    # accuracy over the 10 finished samples, counted from their journal lines
    right = sum(line["scores"]["accuracy"] for line in kept)
    assert result["metrics"]["accuracy"]["value"] == pytest.approx(right / 10)
    assert len(run.records) == 10 and run.model.startswith("replay/")


def test_load_run_and_load_results_take_partial_runs_and_lists(runs):
    full, cut, _ = runs
    assert len(load_run(cut)) == 10
    frame = load_results([full, cut])
    assert set(frame["run"]) == {str(full), str(cut)}
    assert frame.groupby("run")["partial"].first().to_dict() == {str(full): False, str(cut): True}
    assert len(load_results(full, [cut])) == len(frame)
    with pytest.raises(Exception, match="expected run directories"):
        load_results(3)


def test_report_compare_and_gate_read_a_partial_run(runs, tmp_path):
    full, cut, _ = runs
    html = write_report([full, cut], tmp_path / "r.html").read_text()
    assert "partial" in html and "10 of 24" in html

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "evalsuite.cli", *args], capture_output=True, text=True)

    compared = cli("compare", str(full), str(cut))
    assert compared.returncode == 0, compared.stderr
    assert cli("gate", "--baseline", str(cut), "--candidate", str(cut)).returncode == 0
    # against the full run the gate reads the partial one and says why it cannot gate it
    gated = cli("gate", "--baseline", str(full), "--candidate", str(cut))
    assert gated.returncode == 2 and "14 only in baseline" in gated.stderr, gated.stderr


def test_report_command_renders_an_interrupted_run_marked_partial(runs, tmp_path):
    _, cut, _ = runs
    out = tmp_path / "cut.html"
    done = subprocess.run([sys.executable, "-m", "evalsuite", "report", str(cut), "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    assert "[partial]" in html and "partial: 10 of 24 samples" in html
    # a folder that is no run at all is still refused, with the reason
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = subprocess.run([sys.executable, "-m", "evalsuite", "report", str(empty), "--out", str(tmp_path / "x.html")],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "interrupted run" in refused.stderr


def test_a_folder_without_journal_is_still_refused(tmp_path):
    from evalsuite.files.frames import RunError

    with pytest.raises(RunError, match="interrupted run"):
        read_run(tmp_path)
