"""ChemBench4K and the Matbench text tasks: listing, oracle, strict graders by hand, OpenCompass's
rule-based ChemBench reading (first capital letter), and the judge prompts' inputs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evalsuite.core import registry
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.engine.grading import graded

CHEMBENCH = [f"chembench4k/{s}" for s in (
    "name-conversion", "property-prediction", "mol2caption", "caption2mol", "product-prediction",
    "retrosynthesis", "yield-prediction", "temperature-prediction", "solvent-prediction")]
MATBENCH = [f"matbench-text/{t}" for t in ("steels", "expt-gap", "expt-is-metal", "glass")]


def test_listed():
    listed = subprocess.run([sys.executable, "-m", "evalsuite", "list"], capture_output=True, text=True, check=True).stdout
    for name in (*CHEMBENCH, *MATBENCH):
        assert name in listed


@pytest.mark.parametrize("name", [*CHEMBENCH, *MATBENCH])
def test_oracle_is_perfect(name, fixture_data):
    bench = registry.create(name)
    samples = list(bench.samples(fixture_data, 0, None))
    assert len(samples) == 3
    for sample in samples:
        scores = graded(bench, sample, bench.oracle_response(sample)).scores
        assert scores[bench.headline] == (0.0 if bench.headline == "abs_error" else 1.0)


def chembench(fixture_data, protocol="opencompass", shots=0):
    bench = registry.create("chembench4k/name-conversion", {"protocol": protocol, "shots": shots})
    return bench, next(iter(bench.samples(fixture_data, 0, None)))  # gold A (CCO is ethanol)


@pytest.mark.parametrize(("reply", "strict", "oc"), [
    ("A", 1.0, 100.0),
    ("(A)", 1.0, 100.0),
    ("A. CCO", 1.0, 100.0),
    ("Final Answer: A", 1.0, 0.0),  # OpenCompass's first capital is the F of "Final"
    ("\\boxed{B}", 0.0, 0.0),
    ("I think A", 0.0, 0.0),  # strict: no marker, not only a letter; OpenCompass: "I" is the first capital
    ("A or B", 0.0, 100.0),  # strictly no single letter; OpenCompass reads the first capital, A
    ("", 0.0, 0.0),
])
def test_chembench_letters(fixture_data, reply, strict, oc):
    bench, sample = chembench(fixture_data)
    scores = graded(bench, sample, reply).scores
    assert scores["accuracy"] == strict and scores["oc_score"] == oc


def test_chembench_prompt_and_shots(fixture_data):
    _, sample = chembench(fixture_data)
    assert sample.prompt_text == ("There is a single choice question about chemistry. Answer the question by replying "
                                  "A, B, C or D.\nQuestion: What is the SMILES of ethanol?\nA. CCO\nB. CCC\nC. CO\n"
                                  "D. CC=O\nAnswer: ")
    _bench, sample = chembench(fixture_data, shots=5)
    assert [m["role"] for m in sample.messages] == ["user", "assistant"] * 5 + ["user"]
    assert [m["content"] for m in sample.messages[1:10:2]] == ["A", "B", "C", "D", "A"]


def test_chembench_judge_prompt_and_verdict(fixture_data):
    bench, sample = chembench(fixture_data)
    messages = bench.judge_request(sample, "The answer is CCO, option A.")
    text = messages[-1]["content"]
    assert "What is the SMILES of ethanol?\nA. CCO\nB. CCC\nC. CO\nD. CC=O" in text
    assert "<Gold Target Begin>:\nA\n<Gold Target End>" in text
    assert "The answer is CCO, option A." in text
    # OpenCompass's generic_llmjudge_postprocess: the first A or B anywhere in the judge's reply
    assert bench.judge_score("A", sample) == ("A", 1.0)
    assert bench.judge_score("B", sample) == ("B", 0.0)
    assert bench.judge_score("CORRECT", sample) == ("unknown", 0.0)
    assert bench.judge_score("Verdict: B", sample) == ("B", 0.0)


def test_chembench_bad_data(tmp_path):
    (tmp_path / "Name_Conversion_benchmark.json").write_text('[{"question": "q", "A": 1, "B": 2, "C": 3, "D": 4, "answer": "E"}]')
    bench = registry.create("chembench4k/name-conversion")
    with pytest.raises(DataError, match="not one of A-D"):
        list(bench.samples(tmp_path, 0, None))
    with pytest.raises(BenchmarkError, match="no data"):
        list(bench.samples(None, 0, None))


def matbench(fixture_data, name, index=0):
    bench = registry.create(name)
    return bench, list(bench.samples(fixture_data, 0, None))[index]


@pytest.mark.parametrize(("reply", "error"), [
    ("\\boxed{1000}", 56.2),  # gold 1056.2 MPa
    ("Final Answer: 1100.2", 44.0),
    ("1056.2", 0.0),
    ("About 1000 or maybe 1200 MPa", None),  # no single answer: a failed extraction, no error value
])
def test_matbench_regression(fixture_data, reply, error):
    bench, sample = matbench(fixture_data, "matbench-text/steels")
    scores = graded(bench, sample, reply).scores
    if error is None:
        assert scores["abs_error"] is None
    else:
        assert scores["abs_error"] == pytest.approx(error)


@pytest.mark.parametrize(("reply", "right"), [("Yes", 1.0), ("true", 1.0), ("No", 0.0), ("Final Answer: yes", 1.0),
                                              ("Copper conducts electricity, so it is a metal.", 0.0)])
def test_matbench_classification(fixture_data, reply, right):
    bench, sample = matbench(fixture_data, "matbench-text/expt-is-metal")  # gold: True (Cu)
    assert graded(bench, sample, reply).scores["accuracy"] == right


def test_matbench_judges(fixture_data):
    bench, sample = matbench(fixture_data, "matbench-text/steels")
    text = bench.judge_request(sample, "roughly 1000 MPa")[-1]["content"]
    assert "roughly 1000 MPa" in text and "1056.2" not in text  # the regression judge never sees the gold
    # numerical_llmjudge_postprocess: the first number of the judge's reply, else 0
    assert bench.judge_score("1000.0", sample) == ("1000.0", pytest.approx(56.2))
    assert bench.judge_score("none", sample) == ("0.0", pytest.approx(1056.2))
    bench, sample = matbench(fixture_data, "matbench-text/glass")
    text = bench.judge_request(sample, "yes")[-1]["content"]
    assert "<Gold Target Begin>:\nTrue\n<Gold Target End>" in text
