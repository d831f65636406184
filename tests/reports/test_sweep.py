"""``--sweep max_tokens=64,256,1024`` against the dev server, which cuts a reply at max_tokens
(reasoning first, then the answer): results.json has the three budgets with the truncation rate
falling as the budget grows; the report's accuracy-vs-tokens chart and truncation bars are
checked in headless Chromium; the gate and ``compare`` take two sweeps and compare at matching
values.

The responder thinks R words before "Final Answer: <gold>" (3 words), R cycling through 40, 150,
600 and 2,000 over the items, so by hand: a reply fits a budget B when R + 3 <= B; one that does
not is cut before its answer (R >= B for every R and B here but R = 40 < 64, and 43 <= 64 fits).
With 20 items, 5 per R:
  B = 64:   fit R=40             -> truncation 15/20, accuracy 5/20,  completion mean (5*43 + 15*64)/20 = 58.75
  B = 256:  fit R=40, 150        -> truncation 10/20, accuracy 10/20, completion mean (5*43 + 5*153 + 10*256)/20 = 177
  B = 1024: fit R=40, 150, 600   -> truncation 5/20,  accuracy 15/20, completion mean (5*43 + 5*153 + 5*603 + 5*1024)/20 = 455.75
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest

from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.integrations.devserver import DevReply, DevServer

BENCH = "tail/large-number-addition"
N = 20
THINK = (40, 150, 600, 2000)
EXPECTED = {64: (15 / 20, 5 / 20, 58.75), 256: (10 / 20, 10 / 20, 177.0), 1024: (5 / 20, 15 / 20, 455.75)}


def thinking_responder():
    bench = registry.create(BENCH)
    samples = list(bench.samples(None, 0, N))
    table = {s.messages[-1]["content"]: (THINK[i % 4], s.target) for i, s in enumerate(samples)}

    def respond(messages):
        words, gold = table[messages[-1]["content"]]
        return DevReply(f"Final Answer: {gold}", reasoning=" ".join(["hmm"] * words))
    return respond


def sweep(out: Path, url: str, *extra: str) -> list[str]:
    return ["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", str(N),
            "--sweep", "max_tokens=64,256,1024", "--out", str(out), "--no-progress", *extra]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    import os

    old = os.environ.get("EVALSUITE_CACHE")
    os.environ["EVALSUITE_CACHE"] = str(root / "cache")
    try:
        with DevServer(thinking_responder()) as server:
            assert main(sweep(root / "a", server.url, "--report", str(root / "report.html"))) == 0
            sent = server.stats.requests
            assert main(sweep(root / "b", server.url)) == 0  # the same requests: all from the shared cache
            assert server.stats.requests == sent == 3 * N
            budgets = sorted(body["max_tokens"] for body in server.stats.bodies)
            assert budgets == [64] * N + [256] * N + [1024] * N
    finally:
        if old is None:
            os.environ.pop("EVALSUITE_CACHE", None)
        else:
            os.environ["EVALSUITE_CACHE"] = old
    return root


def test_results_per_budget(swept):
    data = json.loads((swept / "a" / "results.json").read_text())
    assert data["sweep"]["key"] == "max_tokens" and data["sweep"]["values"] == [64, 256, 1024]
    rows = data["sweep"]["benchmarks"][BENCH]
    assert [row["value"] for row in rows] == [64, 256, 1024]
    for row in rows:
        truncation, accuracy, mean = EXPECTED[row["value"]]
        assert row["truncation_rate"] == pytest.approx(truncation)
        assert row["accuracy"] == pytest.approx(accuracy) and row["metric"] == "accuracy"
        assert row["ci95"][0] <= accuracy <= row["ci95"][1] and row["n"] == N
        assert row["completion_tokens"]["mean"] == pytest.approx(mean)
        assert row["completion_tokens"]["p95"] == pytest.approx(min(row["value"], 2003))
        assert (swept / "a" / row["run"] / "samples.jsonl").exists()
    rates = [row["truncation_rate"] for row in rows]
    assert rates[0] > rates[1] > rates[2]
    assert json.loads((swept / "a" / "sweep.json").read_text())["runs"] == [
        "max_tokens=64", "max_tokens=256", "max_tokens=1024"]


def test_gate_and_compare_take_sweeps(swept, capsys, tmp_path):
    assert main(["gate", "--baseline", str(swept / "a"), "--candidate", str(swept / "b"),
                 "--json", str(tmp_path / "gate.json")]) == 0
    report = json.loads((tmp_path / "gate.json").read_text())
    assert report["sweep"] == "max_tokens" and sorted(report["values"]) == ["1024", "256", "64"]
    assert all(v["verdict"] == "pass" for v in report["values"].values())
    assert main(["compare", str(swept / "a"), str(swept / "b")]) == 0
    out = capsys.readouterr().out
    assert "## max_tokens=64" in out and "## max_tokens=1024" in out
    # A sweep against one of its own sub-runs is no pair of sweeps: refused, not guessed.
    assert main(["compare", str(swept / "a"), str(swept / "a" / "max_tokens=64")]) == 2
    assert "single run" in capsys.readouterr().err


def _browser():
    spec = importlib.util.spec_from_file_location("report_browser", Path(__file__).with_name("test_browser.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKS = r"""
(() => {
  const sec = document.querySelector('section.sweep');
  if (!sec) return null;
  const points = [...sec.querySelectorAll('svg.sweep-chart circle.sweep-point')].map(c => ({
    value: c.dataset.value, x: c.getBoundingClientRect().x, y: c.getBoundingClientRect().y,
    tip: c.querySelector('title').textContent}));
  const bars = [...sec.querySelectorAll('svg.sweep-chart line.ci-bar')].map(l => l.getBoundingClientRect().height);
  const trunc = [...sec.querySelectorAll('rect.truncation-bar')].map(r => ({
    value: r.dataset.value, rate: parseFloat(r.dataset.rate), height: r.getBoundingClientRect().height}));
  return {title: sec.querySelector('h2').textContent, points, bars, trunc,
          lines: sec.querySelectorAll('polyline.sweep-line').length,
          visible: sec.getBoundingClientRect().height > 300,
          rows: [...sec.querySelectorAll('table.sweep-table tbody tr')].map(tr => tr.querySelector('td.truncation').textContent.trim())};
})()
"""


@pytest.mark.browser
def test_report_draws_accuracy_against_tokens(swept, tmp_path):
    browser = _browser()
    browser.chromium_binary()  # skips (or fails on CI) without Chromium
    profile = tmp_path / "profile"
    profile.mkdir()

    async def drive() -> dict:
        async with browser.open_page(profile) as page:
            for domain in ("Page", "Runtime", "Log"):
                await page.send(f"{domain}.enable")
            await page.send("Page.navigate", url=(swept / "report.html").resolve().as_uri())
            await page.wait_for("Page.loadEventFired")
            await asyncio.sleep(0.3)
            return {"checks": await page.js(CHECKS), "events": page.events}

    result = asyncio.run(drive())
    problems = [e for e in result["events"] if e["method"] == "Runtime.exceptionThrown"
                or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert problems == [], problems
    checks = result["checks"]
    assert checks is not None, "no sweep section in the report"
    assert checks["title"] == f"{BENCH}: accuracy by max_tokens" and checks["visible"]
    assert checks["lines"] == 1
    points = checks["points"]
    assert [p["value"] for p in points] == ["64", "256", "1024"]
    # More tokens lie to the right, and more accuracy higher up (smaller screen y).
    assert points[0]["x"] < points[1]["x"] < points[2]["x"]
    assert points[0]["y"] > points[1]["y"] > points[2]["y"]
    assert "accuracy 0.250" in points[0]["tip"] and "59 mean completion tokens" in points[0]["tip"]
    assert len(checks["bars"]) == 3 and all(height > 10 for height in checks["bars"])
    trunc = checks["trunc"]
    assert [t["value"] for t in trunc] == ["64", "256", "1024"]
    assert [t["rate"] for t in trunc] == pytest.approx([0.75, 0.5, 0.25])
    assert trunc[0]["height"] > trunc[1]["height"] > trunc[2]["height"] > 0
    assert trunc[0]["height"] == pytest.approx(3 * trunc[2]["height"], rel=0.02)
    assert checks["rows"] == ["75.0%", "50.0%", "25.0%"]
