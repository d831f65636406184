"""``evalsuite report RUN_DIR results_lm_eval.json``: lm-eval results as leaderboard rows,
labelled as imported."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest

from evalsuite.cli import main
from evalsuite.files.frames import RunError
from evalsuite.integrations.devserver import DevServer
from evalsuite.reports import write_report

from .conftest import mixed_replies, responder_for, run_lm_eval

BENCH = "tail/compare-numbers"
TASK = "evalsuite_tail_compare_numbers"

# A results file in the layout lm-eval 0.4 writes (``lm_eval --output_path``), for a general
# benchmark with two filters: gsm8k, exact match 0.5 (stderr 0.1) strict, 0.6 (stderr 0.05) flexible.
GSM8K = {
    "results": {"gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.5, "exact_match_stderr,strict-match": 0.1,
                          "exact_match,flexible-extract": 0.6, "exact_match_stderr,flexible-extract": 0.05}},
    "group_subtasks": {"gsm8k": []},
    "configs": {"gsm8k": {"task": "gsm8k", "metadata": {"version": 3.0}}},
    "versions": {"gsm8k": 3.0},
    "n-shot": {"gsm8k": 5},
    "higher_is_better": {"gsm8k": {"exact_match": True}},
    "n-samples": {"gsm8k": {"original": 1319, "effective": 1319}},
    "config": {"model": "hf", "model_args": "pretrained=acme/model-7b,token=hf_SECRET", "random_seed": 0},
    "model_name": "acme/model-7b",
    "model_source": "hf",
    "lm_eval_version": "0.4.13",
    "date": 1767225600.0,  # 2026-01-01T00:00:00Z
}


def text_of(page: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def runs(tmp_path):
    """An evalsuite run and a real lm-eval results file of the exported benchmark, both against
    the same mixed-quality server, plus the gsm8k file above."""
    limit = 8
    (tmp_path / "tasks").mkdir()
    assert main(["export", "lm-eval", "--benchmark", BENCH, "--out", str(tmp_path / "tasks"),
                 "--limit", str(limit)]) == 0
    with DevServer(responder_for(mixed_replies(BENCH, limit))) as server:
        run_lm_eval(tmp_path / "tasks", TASK, "local-chat-completions",
                    f"base_url={server.url}/chat/completions,model=dev", output_path=tmp_path / "lm")
        assert main(["run", "--model", "openai/dev", "--base-url", server.url, "--benchmark", BENCH,
                     "--limit", str(limit), "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    (lm_file,) = (tmp_path / "lm").rglob("results_*.json")
    gsm8k = tmp_path / "gsm8k_results.json"
    gsm8k.write_text(json.dumps(GSM8K))
    return tmp_path / "run", lm_file, gsm8k


def test_lm_eval_results_become_labelled_leaderboard_rows(runs, tmp_path):
    run_dir, lm_file, gsm8k = runs
    out = tmp_path / "report.html"
    assert main(["report", str(run_dir), str(lm_file), str(gsm8k), "--out", str(out)]) == 0
    page = out.read_text()
    rows = re.findall(r'<tr class="model-row">(.*?)</tr>', page, re.DOTALL)
    assert len(rows) == 3
    ours, imported, general = (text_of(r) for r in rows)
    assert "imported" not in ours
    assert "dev (local-chat-completions) [imported: lm-eval 0.4.13]" in imported and "imported" in imported
    assert "acme/model-7b (hf) [imported: lm-eval 0.4.13]" in general and "2026-01-01 00:00:00" in general
    # Columns: our benchmark (shared by our run and the lm-eval run of its export) and gsm8k.
    assert re.findall(r'<a href="#(b-[^"]+)">', page)[:2] == ["b-lm-eval-gsm8k", "b-tail-compare-numbers"]
    # The exported task's accuracy under lm-eval equals evalsuite's on the same replies.
    accuracy = json.loads((run_dir / "results.json").read_text())["benchmarks"][BENCH]["metrics"]["accuracy"]["value"]
    assert f"{accuracy:.3f}" in ours and f"{accuracy:.3f}" in imported
    # gsm8k headline: the first metric, strict-match 0.5 with CI 0.5 ± 1.96 x 0.1 = [0.304, 0.696].
    assert "0.500" in general and "[0.304, 0.696]" in general and "n=1319" in general
    start = page.index('id="b-lm-eval-gsm8k"')
    section = text_of(page[start:page.index("</section>", start)])
    assert "exact_match [flexible-extract]" in section and "[0.502, 0.698]" in section  # 0.6 ± 1.96 x 0.05
    assert "hf_SECRET" not in page  # model args (and their tokens) are never shown


def test_an_evalsuite_results_json_is_read_as_its_run(runs, tmp_path):
    run_dir, _, _ = runs
    a = write_report([run_dir], tmp_path / "a.html").read_text()
    b = write_report([run_dir / "results.json"], tmp_path / "b.html").read_text()
    generated = re.compile(r"generated [^<]*UTC")
    assert generated.sub("", a) == generated.sub("", b)


@pytest.mark.parametrize(("content", "problem"), [
    ("{not json", "unreadable"),
    ('{"results": {}}', "neither an evalsuite results.json nor an lm-eval results file"),
    ('{"results": {"t": {"alias": "t"}}}', "without any numeric metric"),
])
def test_a_bad_results_file_is_a_clear_error(tmp_path, content, problem):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(RunError, match=re.escape(problem)):
        write_report([path], tmp_path / "x.html")
