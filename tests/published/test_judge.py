"""A judged run against the dev server acting as model and judge: verdicts recorded per reply,
judge tokens counted apart, agreement and Cohen's kappa equal to hand-computed values on items
where judge and rules disagree on purpose.

Eight ChemBench4K items (two per subset, fixtures). Model replies and judge verdicts, by question:

| item | gold | model reply | strict rule | judge |
| NC1  | A | "A"                           | 1 | A (1) |
| NC2  | B | "The answer is B, acetic acid." | 0 (no marker, not one letter) | A (1)  <- disagree |
| PP1  | C | "C"                           | 1 | A (1) |
| PP2  | D | "A"                           | 0 | B (0) |
| M2C1 | B | "B"                           | 1 | B (0)  <- disagree |
| M2C2 | A | "D"                           | 0 | B (0) |
| C2M1 | B | "B"                           | 1 | A (1) |
| C2M2 | C | "Final Answer: C"             | 1 | A (1) |

Overall: rule 1,0,1,0,1,0,1,1 and judge 1,1,1,0,0,0,1,1; p_o = 6/8; each grader says 1 for 5 of 8,
so p_e = (5/8)^2 + (3/8)^2 = 34/64; kappa = (48/64 - 34/64) / (1 - 34/64) = 14/30 = 7/15.
Per subset: NC rule (1,0) judge (1,1): p_o 1/2, p_e 1/2 * 1 + 1/2 * 0 = 1/2, kappa 0; PP (1,0) vs
(1,0): p_o 1, p_e 1/2, kappa 1; M2C (1,0) vs (0,0): p_o 1/2, p_e 1/2, kappa 0; C2M (1,1) vs (1,1):
p_e = 1, kappa undefined (None).
"""

from __future__ import annotations

import json

import pytest

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer

SUBSETS = "chembench4k/name-conversion,chembench4k/property-prediction,chembench4k/mol2caption,chembench4k/caption2mol"
TABLE = {  # question start -> (model reply, judge reply)
    "What is the SMILES of ethanol?": ("A", "A"),
    "Which IUPAC name belongs to CC(=O)O?": ("The answer is B, acetic acid.", "A"),
    "Which of these is most soluble in water?": ("C", "A"),
    "Is OC(=O)CC(O)(CC(O)=O)C(O)=O likely": ("A", "B"),
    "Describe the molecule CCO.": ("B", "B"),
    "Describe the molecule c1ccccc1.": ("D", "B"),
    "The molecule is the simplest ketone.": ("B", "A"),
    "The molecule is the simplest aromatic hydrocarbon.": ("Final Answer: C", "A"),
}
JUDGE_SYSTEM = "You are a helpful assistant who evaluates the correctness and quality of models' outputs."


def respond(messages):
    text = messages[-1]["content"]
    is_judge = messages[0]["role"] == "system" and messages[0]["content"] == JUDGE_SYSTEM
    for start, (reply, verdict) in TABLE.items():
        if start in text:
            return verdict if is_judge else reply
    raise AssertionError(f"unknown prompt {text[:80]!r}")


@pytest.fixture(scope="module")
def judged_run(tmp_path_factory, fixture_data):
    out = tmp_path_factory.mktemp("judged") / "run"
    cache = out.parent / "cache"
    import os

    old = os.environ.get("EVALSUITE_CACHE")
    os.environ["EVALSUITE_CACHE"] = str(cache)
    try:
        with DevServer(respond) as server:
            code = main(["run", "--model", "openai/dev", "--base-url", server.url, "--benchmark", SUBSETS,
                         "--data", str(fixture_data), "--first", "2", "--out", str(out), "--no-progress",
                         "--judge-model", "openai/judge", "--judge-base-url", server.url])
            bodies = list(server.stats.bodies)
            # the same command again: everything journaled and judged, nothing sent
            sent = server.stats.requests
            assert main(["run", "--model", "openai/dev", "--base-url", server.url, "--benchmark", SUBSETS,
                         "--data", str(fixture_data), "--first", "2", "--out", str(out), "--no-progress",
                         "--judge-model", "openai/judge", "--judge-base-url", server.url]) == 0
            assert server.stats.requests == sent
    finally:
        if old is None:
            os.environ.pop("EVALSUITE_CACHE", None)
        else:
            os.environ["EVALSUITE_CACHE"] = old
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    judge_lines = [json.loads(line) for line in (out / "judge.jsonl").read_text().splitlines()]
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return results, judge_lines, samples, bodies


def test_every_judged_reply_records_request_verdict_and_raw_reply(judged_run):
    _, lines, samples, bodies = judged_run
    assert len(lines) == 8 and len(samples) == 8
    for line in lines:
        assert line["request"][0]["content"] == JUDGE_SYSTEM
        assert "<Gold Target Begin>" in line["request"][-1]["content"]
        assert line["raw_reply"] in ("A", "B") and line["verdict"] == line["raw_reply"]
        assert line["judged"] == (1.0 if line["verdict"] == "A" else 0.0)
    # the judge request carries the model's reply as the predicted answer
    acetic = next(line for line in lines if "acetic" in line["request"][-1]["content"].split("<Predicted Answer Begin>")[1])
    assert acetic["rule"] == 0.0 and acetic["judged"] == 1.0
    # 8 model requests and 8 judge requests went to the server (the probe aside)
    judge_bodies = [b for b in bodies if b["model"] == "judge"]
    assert len(judge_bodies) == 8 and len([b for b in bodies if b["model"] == "dev"]) == 8
    assert {b["temperature"] for b in judge_bodies} == {0.0} and {b["max_tokens"] for b in judge_bodies} == {8192}


def test_agreement_and_kappa_equal_the_hand_computed_values(judged_run):
    results, *_ = judged_run
    overall = results["judge_accounting"]["agreement"]
    assert overall["n"] == 8 and overall["agree"] == 6
    assert overall["percent"] == pytest.approx(75.0)
    assert overall["kappa"] == pytest.approx(7 / 15)
    per = {name.split("/")[1]: entry["judge"] for name, entry in results["benchmarks"].items()}
    assert per["name-conversion"]["agreement"]["kappa"] == pytest.approx(0.0)
    assert per["name-conversion"]["agreement"]["percent"] == pytest.approx(50.0)
    assert per["property-prediction"]["agreement"]["kappa"] == pytest.approx(1.0)
    assert per["mol2caption"]["agreement"]["kappa"] == pytest.approx(0.0)
    assert per["caption2mol"]["agreement"]["kappa"] is None
    assert per["caption2mol"]["agreement"]["percent"] == pytest.approx(100.0)
    # the judged metric beside the rule's: NC judge 2/2, rule 1/2
    assert per["name-conversion"]["judged"] == pytest.approx(1.0) and per["name-conversion"]["rule"] == pytest.approx(0.5)
    assert per["mol2caption"]["judged"] == pytest.approx(0.0) and per["mol2caption"]["rule"] == pytest.approx(0.5)
    # the disagreements, by item
    assert [(d["id"], d["rule"], d["judged"]) for d in per["name-conversion"]["disagreements"]] == [("0001", 0.0, 1.0)]
    assert [(d["id"], d["rule"], d["judged"]) for d in per["mol2caption"]["disagreements"]] == [("0000", 1.0, 0.0)]


def test_judge_tokens_are_counted_apart(judged_run):
    results, lines, samples, _ = judged_run
    judge = results["judge_accounting"]
    assert judge["requests"] == 8
    assert judge["completion_tokens"] == 8  # one word per verdict
    assert judge["prompt_tokens"] == sum(line["usage"]["prompt_tokens"] for line in lines)
    # the model's accounting holds the model's tokens only: its completions are the 8 replies' words
    model_completion = sum(len(s["response"].split()) for s in samples)
    assert results["accounting"]["completion_tokens"] == model_completion
    assert results["accounting"]["prompt_tokens"] == sum(
        sum(len(m["content"].split()) for m in s["prompt"]) for s in samples)


MATBENCH_TABLE = {  # problem start -> (model reply, judge reply)
    "What is the yield strength in MPa of the steel with composition Fe0.7": ("\\boxed{1000}", "1000.0"),
    "What is the yield strength in MPa of the steel with composition Fe0.62": ("somewhere between 1700 and 1900 MPa", "1800"),
}
NUMBER_SYSTEM = "You are a helpful assistant who extracts the answer as float of models' outputs."


def test_matbench_regression_judge_extracts_the_number(tmp_path, fixture_data, monkeypatch):
    """Golds 1056.2 and 1820.0 MPa. Item 1: ours reads 1000 (error 56.2), the judge 1000.0: agree.
    Item 2: no single answer for us (a failed extraction), the judge reads 1800 (error 20): disagree.
    Judged MAE (56.2 + 20) / 2 = 38.1; ours 56.2 over the one answered item; agreement 50%, no kappa
    for numbers."""
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))

    def respond(messages):
        text = messages[-1]["content"]
        for start, (reply, number) in MATBENCH_TABLE.items():
            if start in text:
                return number if messages[0]["content"] == NUMBER_SYSTEM else reply
        raise AssertionError(text[:80])

    out = tmp_path / "run"
    with DevServer(respond) as server:
        assert main(["run", "--model", "openai/dev", "--base-url", server.url, "--benchmark", "matbench-text/steels",
                     "--data", str(fixture_data), "--first", "2", "--out", str(out), "--no-progress",
                     "--judge-model", "openai/judge", "--judge-base-url", server.url, "--report",
                     str(tmp_path / "report.html")]) == 0
    judge = json.loads((out / "results.json").read_text())["benchmarks"]["matbench-text/steels"]["judge"]
    assert judge["metric"] == "judge_abs_error" and judge["judged"] == pytest.approx(38.1)
    assert judge["rule"] == pytest.approx(56.2)
    assert judge["agreement"]["percent"] == pytest.approx(50.0) and judge["agreement"]["kappa"] is None
    assert [d["id"] for d in judge["disagreements"]] == ["00001"]
    # the regression judge never sees the gold
    lines = [json.loads(line) for line in (out / "judge.jsonl").read_text().splitlines()]
    assert all("1056.2" not in line["request"][-1]["content"] and "1820" not in line["request"][-1]["content"]
               for line in lines)
    html = (tmp_path / "report.html").read_text()
    assert "Judge and rule" in html and "judge_abs_error" in html and "1 disagreement" in html


def test_another_judge_model_judges_again(tmp_path, fixture_data, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "run"
    args = ["run", "--model", "openai/dev", "--benchmark", "chembench4k/name-conversion", "--first", "2",
            "--data", str(fixture_data),
            "--out", str(out), "--no-progress"]
    with DevServer(respond) as server:
        assert main([*args, "--base-url", server.url, "--judge-model", "openai/judge",
                     "--judge-base-url", server.url]) == 0
        assert main([*args, "--base-url", server.url, "--judge-model", "openai/other-judge",
                     "--judge-base-url", server.url]) == 0
        judges = [b["model"] for b in server.stats.bodies if b["model"] != "dev"]
    assert judges == ["judge", "judge", "other-judge", "other-judge"]
    results = json.loads((out / "results.json").read_text())
    assert results["judge_accounting"]["model"] == "openai/other-judge" and results["judge_accounting"]["requests"] == 2
