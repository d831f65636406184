"""The report in a real headless Chromium, driven over the Chrome DevTools Protocol.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); $CHROMIUM names another binary.
Without a browser the test is skipped locally but FAILS when CI=true.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from evalsuite.reports import write_report

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
         "--remote-debugging-port=0", "--window-size=1400,1800"]


def chromium_binary() -> str:
    found = os.environ.get("CHROMIUM") or next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if not found:
        message = "headless Chromium not found (apt-get install -y chromium, or set $CHROMIUM)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


class Page:
    """A minimal CDP client over aiohttp's websocket: commands, and the events we care about."""

    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    async def send(self, method: str, **params):
        self.next_id += 1
        wanted = self.next_id
        await self.ws.send_str(json.dumps({"id": wanted, "method": method, "params": params}))
        while True:
            message = json.loads((await self.ws.receive(timeout=30)).data)
            if message.get("id") == wanted:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    async def wait_for(self, method: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while not any(e["method"] == method for e in self.events):
            message = json.loads((await self.ws.receive(timeout=max(0.1, deadline - time.monotonic()))).data)
            if "method" in message:
                self.events.append(message)

    async def js(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")


@contextlib.asynccontextmanager
async def open_page(profile: Path) -> AsyncIterator[Page]:
    """A headless Chromium with its own ``profile`` folder and a CDP client on its first page;
    the browser is stopped on exit. The report test, the leaderboard test and
    bench/report_page.py all drive the browser through this."""
    import aiohttp

    proc = subprocess.Popen([chromium_binary(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None, "chromium exited at start"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as session:
            for _ in range(50):
                async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                    pages = [t for t in await response.json() if t["type"] == "page"]
                if pages:
                    break
                await asyncio.sleep(0.1)
            assert pages, "chromium lists no page target"
            async with session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield Page(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def drive(url: str, profile: Path, screenshot: Path) -> dict:
    async with open_page(profile) as page:
        for domain in ("Page", "Runtime", "Log"):
            await page.send(f"{domain}.enable")
        await page.send("Page.navigate", url=url)
        await page.wait_for("Page.loadEventFired")
        await asyncio.sleep(0.3)
        out = {"checks": await page.js(CHECKS)}
        shot = await page.send("Page.captureScreenshot", format="png")
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        out["events"] = page.events
        return out


CHECKS = r"""
(() => {
  const models = () => [...document.querySelectorAll('#lb-body tr td.model')].map(td => td.firstChild.nextSibling.textContent.trim());
  const out = {};
  out.title = document.title;
  out.models = models();
  out.baselines = [...document.querySelectorAll('tbody.baselines td.model')].map(td => td.textContent.trim());
  const tailHead = [...document.querySelectorAll('#lb thead th')].find(th => th.textContent.includes('tail/large-number-addition'));
  tailHead.click(); out.sortedFirst = models();
  tailHead.click(); out.sortedSecond = models();
  out.pwned = typeof window.__pwned === 'undefined' ? null : window.__pwned;
  out.scripts = document.querySelectorAll('script').length;
  out.injectedImgs = document.querySelectorAll('img[src="x"], img:not([src^="data:image/svg+xml;base64,"])').length;
  out.injectedSvgs = document.querySelectorAll('svg[onload]').length;
  out.text = document.body.textContent;
  const mols = [...document.querySelectorAll('.mol img')];
  out.molecules = mols.length;
  out.moleculesLoaded = mols.filter(i => i.complete && i.naturalWidth > 0).length;
  const all = document.querySelectorAll('details.sample').length;
  const wrong = document.getElementById('f-wrong'); wrong.checked = true; wrong.dispatchEvent(new Event('change'));
  const visible = [...document.querySelectorAll('details.sample')].filter(d => !d.hidden);
  out.samples = all; out.wrongVisible = visible.length;
  out.wrongAllFlagged = visible.every(d => d.dataset.wrong === '1');
  out.count = document.getElementById('f-count').textContent;
  wrong.checked = false; wrong.dispatchEvent(new Event('change'));
  out.hostileReplies = [...document.querySelectorAll('pre.reply')].map(p => p.textContent).filter(t => t.includes('__pwned'));
  out.charts = document.querySelectorAll('svg.chart polyline').length;
  out.confusions = document.querySelectorAll('table.cm').length;
  return out;
})()
"""


def _payloads():
    import importlib.util

    spec = importlib.util.spec_from_file_location("reports_conftest", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.XSS_SCRIPT, module.XSS_IMG, module.XSS_SMILES


def test_report_loads_sorts_filters_and_stays_inert(report_runs, tmp_path):
    xss_script, xss_img, xss_smiles = _payloads()
    html = write_report(report_runs, tmp_path / "report.html")
    profile = tmp_path / "profile"
    profile.mkdir()
    screenshot = tmp_path / "report.png"
    result = asyncio.run(drive(html.resolve().as_uri(), profile, screenshot))
    checks, events = result["checks"], result["events"]

    problems = [e for e in events if e["method"] in ("Runtime.exceptionThrown", "Page.javascriptDialogOpening")
                or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
                or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")]
    assert problems == [], problems
    assert checks["models"] == ["openai/strong-model", "local/smollm2"]
    assert checks["baselines"] == ["baseline: random", "baseline: dummy"]
    # First click on a number column sorts best-first (0.95 before 0.60), the second reverses it.
    assert checks["sortedFirst"] == ["openai/strong-model", "local/smollm2"]
    assert checks["sortedSecond"] == ["local/smollm2", "openai/strong-model"]
    # Hostile replies are shown as text and nothing of them ran or became an element.
    assert checks["pwned"] is None
    assert checks["scripts"] == 1
    assert checks["injectedImgs"] == 0 and checks["injectedSvgs"] == 0
    assert xss_script in checks["text"] and xss_img in checks["text"] and xss_smiles in checks["text"]
    assert sorted(checks["hostileReplies"]) == sorted([xss_script, xss_img, f"Answer: {xss_smiles}"])
    # 2 runs x 4 items x 2 drawings, minus the unparseable hostile "SMILES".
    assert checks["molecules"] == 15 and checks["moleculesLoaded"] == 15
    assert checks["wrongAllFlagged"] and 0 < checks["wrongVisible"] < checks["samples"]
    assert checks["count"] == f"{checks['wrongVisible']} of {checks['samples']} samples"
    assert checks["charts"] == 2 and checks["confusions"] == 2
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    keep = os.environ.get("EVALSUITE_SCREENSHOT")
    if keep:
        shutil.copy(screenshot, keep)


def _bench_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("report_page_bench", Path(__file__).parents[2] / "bench" / "report_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LEADERBOARD_CHECKS = r"""
(() => ({
  heatmapCells: document.querySelectorAll('#tail-overview svg.heatmap rect').length,
  familyCells: document.querySelectorAll('#lb-body td.family .value').length,
  familyRows: document.querySelectorAll('#families table.family tbody tr').length,
  foldedTail: document.querySelectorAll('details.tail-tasks section.bench').length,
  samples: document.querySelectorAll('details.sample').length,
  pwned: typeof window.__pwned === 'undefined' ? null : window.__pwned,
}))()
"""


def test_readme_size_leaderboard_stays_under_2_mb_and_renders(tmp_path):
    """The README's example at its size (2 runs, all TAIL tasks and three chemistry/materials
    benchmarks, ~3,900 samples): under 2 MB (the drill-down is capped), and it renders the
    family column, the TAIL overview (18 tasks x 3 buckets x 2 runs) and the folded sections.
    Timing is measured by bench/report_page.py, not asserted here."""
    chromium_binary()
    bench = _bench_module()
    runs = bench.make_runs(tmp_path)
    page = write_report(runs, tmp_path / "leaderboard.html")
    assert page.stat().st_size < 2_000_000
    profile = tmp_path / "profile"
    profile.mkdir()

    async def check() -> dict:
        async with open_page(profile) as cdp:
            for domain in ("Page", "Runtime"):
                await cdp.send(f"{domain}.enable")
            await cdp.send("Page.navigate", url=page.resolve().as_uri())
            await cdp.wait_for("Page.loadEventFired", timeout=60)
            return {"checks": await cdp.js(LEADERBOARD_CHECKS), "events": cdp.events}

    result = asyncio.run(check())
    checks = result["checks"]
    assert [e for e in result["events"] if e["method"] == "Runtime.exceptionThrown"] == []
    assert checks["heatmapCells"] == 18 * 3 * 2
    assert checks["familyCells"] == 2 and checks["familyRows"] == 2
    assert checks["foldedTail"] == 18
    # 21 benchmarks x 2 runs, at most 12 each (reaction-conditions, retrosynthesis have fewer wrong)
    assert 0 < checks["samples"] <= 21 * 2 * 12
