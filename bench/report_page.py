"""The README's leaderboard example at its size: two runs of all 18 TAIL tasks, retrosynthesis,
crystal-stability and reaction-conditions (3,854 samples), rendered, then loaded in headless
Chromium. Prints the page size and the time to first paint / load event (median of 3 loads).

    python bench/report_page.py [--keep DIR]

Needs Debian's ``chromium`` (or $CHROMIUM). The runs use the oracle and a replay of its replies
with every fifth one broken, so the drill-down has wrong answers to show first.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = "tail,retrosynthesis,crystal-stability,reaction-conditions"
LIMIT = "100"  # 18 x 100 TAIL + 38 + 50 + 36 per run: 1,927 samples, 3,854 for the two


def evalsuite(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "evalsuite.cli", *args], check=True, capture_output=True)


def make_runs(root: Path) -> list[Path]:
    oracle = root / "oracle"
    evalsuite("run", "--model", "oracle", "--benchmark", BENCHMARKS, "--limit", LIMIT, "--out", str(oracle),
              "--no-progress", "--no-cache")
    replay = root / "replay.jsonl"
    with replay.open("w") as out:
        for index, line in enumerate((oracle / "samples.jsonl").read_text().splitlines()):
            row = json.loads(line)
            response = row["response"] if index % 5 else "I am not sure."
            out.write(json.dumps({"benchmark": row["benchmark"], "id": row["id"], "response": response}) + "\n")
    other = root / "replayed"
    evalsuite("run", "--model", f"replay/{replay}", "--benchmark", BENCHMARKS, "--limit", LIMIT, "--out", str(other),
              "--no-progress", "--no-cache")
    return [oracle, other]


CHECK = """(() => { const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  const n = performance.getEntriesByType('navigation')[0];
  return {fcp: p ? p.startTime : null, load: n.loadEventEnd, nodes: document.getElementsByTagName('*').length}; })()"""


async def measure(url: str, profile: Path) -> dict:
    spec = importlib.util.spec_from_file_location("browser_test", ROOT / "tests" / "reports" / "test_browser.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    async with module.open_page(profile) as page:
        await page.send("Page.enable")
        results = []
        for _ in range(3):
            page.events.clear()
            await page.send("Page.navigate", url=url)
            await page.wait_for("Page.loadEventFired", timeout=120)
            await asyncio.sleep(0.2)
            results.append(await page.js(CHECK))
        return {key: statistics.median(r[key] for r in results) for key in ("fcp", "load", "nodes")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="write the runs and the page here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="evalsuite-report-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    runs = make_runs(root)
    samples = sum(len((r / "samples.jsonl").read_text().splitlines()) for r in runs)
    start = time.perf_counter()
    evalsuite("report", *map(str, runs), "--out", str(root / "leaderboard.html"))
    rendered = time.perf_counter() - start
    page = root / "leaderboard.html"
    print(f"samples: {samples}; `evalsuite report`: {rendered:.2f} s; page: {page.stat().st_size / 1e6:.2f} MB")
    profile = root / "profile"
    profile.mkdir(exist_ok=True)
    timing = asyncio.run(measure(page.resolve().as_uri(), profile))
    print(f"headless Chromium, median of 3 loads: first contentful paint {timing['fcp'] / 1000:.2f} s, "
          f"load event {timing['load'] / 1000:.2f} s, {int(timing['nodes'])} elements")


if __name__ == "__main__":
    main()
