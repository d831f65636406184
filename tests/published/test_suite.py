"""``--benchmark @intern-s1`` with the shipped model configs against the dev server: the suite's
benchmarks and options, per-family generation settings in the request bodies, and the report's
published reference rows with their sources and the protocol warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer

REPO = Path(__file__).resolve().parents[2]
TAIL = "tail/compare-numbers"


def family_of(body) -> str:
    text = body["messages"][-1]["content"]
    if text.startswith("You are an expert chemist"):
        return "smolinstruct"
    if text.startswith("There is a single choice question about chemistry"):
        return "chembench4k"
    if text.startswith(("What is the yield strength", "What is the experimental band gap", "Is ", "Can the composition")):
        return "matbench-text"
    return "tail"


def test_list_suites():
    out = subprocess.run([sys.executable, "-m", "evalsuite", "list", "--suites"], capture_output=True, text=True,
                         check=True).stdout
    assert out.startswith("@intern-s1\t") and "smolinstruct, chembench4k, matbench-text" in out


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))


def test_intern_s1_suite_with_its_model_config(tmp_path, fixture_data, cache, capsys):
    out = tmp_path / "s1"
    with DevServer(lambda messages: "A") as server:
        assert main(["run", "--model-config", str(REPO / "examples/models/intern-s1.yaml"), "--benchmark", "@intern-s1",
                     "--limit", "2", "--base-url", server.url, "--data", str(fixture_data), "--out", str(out),
                     "--no-progress", "--report", str(tmp_path / "report.html")]) == 0
        bodies = list(server.stats.bodies)
        assert main(["run", "--model-config", str(REPO / "examples/models/intern-s1.yaml"), "--benchmark", TAIL,
                     "--limit", "2", "--base-url", server.url, "--out", str(tmp_path / "tail"), "--no-progress"]) == 0
        tail_bodies = server.stats.bodies[len(bodies):]
    # 14 + 9 + 4 benchmarks, 2 items each (--limit 2: a seeded subset of the three fixture rows)
    assert len(bodies) == 54
    assert {family_of(b) for b in bodies} == {"smolinstruct", "chembench4k", "matbench-text"}
    for body in bodies:  # the model card's science protocol: OpenCompass's top_p 0.95, thinking on
        assert (body["temperature"], body["top_p"], body["top_k"], body["min_p"], body["max_tokens"]) == \
            (0.7, 0.95, 50, 0.0, 64000)
        assert body["chat_template_kwargs"] == {"enable_thinking": True}
    assert tail_bodies and all(b["top_p"] == 1.0 for b in tail_bodies)  # the config's own default elsewhere
    results = json.loads((out / "results.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert len(results["benchmarks"]) == 27
    assert config["benchmarks"]["smolinstruct/fs"]["options"]["protocol"] == "opencompass"  # the suite's option
    assert config["benchmarks"]["smolinstruct/fs"]["generation"]["top_p"] == 0.95
    assert "oc_score" in results["benchmarks"]["smolinstruct/fs"]["metrics"]

    html = (tmp_path / "report.html").read_text()
    assert "Published reference rows" in html
    assert "Intern-S1 <span class=\"badge\">published</span>" in html and "Grok-4" in html and "51.0" in html
    assert "InternLM/Intern-S1 README.md" in html  # the source
    assert "the published number was graded by an LLM judge" in html  # no --judge-model here
    assert "a subset of the items" in html
    assert "Intern-S1-mini <span class=\"badge\">published</span>" in html and "76.47" in html


def test_thinking_off_for_the_science_families_only(tmp_path, fixture_data, cache):
    """Intern-S1-Pro's OpenCompass config: thinking on, off for the scientific benchmarks."""
    with DevServer(lambda messages: "A") as server:
        assert main(["run", "--model-config", str(REPO / "examples/models/intern-s1-pro.yaml"), "--benchmark",
                     f"chembench4k/name-conversion,{TAIL}", "--limit", "1", "--base-url", server.url,
                     "--data", f"chembench4k/name-conversion={fixture_data}", "--out", str(tmp_path / "pro"),
                     "--no-progress"]) == 0
        bodies = list(server.stats.bodies)
    thinking = {family_of(b): b["chat_template_kwargs"]["enable_thinking"] for b in bodies}
    assert thinking == {"chembench4k": False, "tail": True}
    assert {(b["temperature"], b["max_tokens"]) for b in bodies} == {(0.8, 65536)}


def test_a_per_benchmark_entry_with_an_unknown_key_is_an_error(tmp_path, cache, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: openai/x\nbenchmarks:\n  smolinstruct:\n    generaton: {top_p: 0.9}\n")
    code = main(["run", "--model-config", str(bad), "--benchmark", TAIL, "--limit", "1", "--out", str(tmp_path / "o")])
    assert code != 0
    assert "benchmarks.smolinstruct: unknown key(s) generaton" in capsys.readouterr().err
