"""The README's gate example runs as written in a folder like a fresh clone (no runs/ yet), and
the gate notes runs whose generation settings differ."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_gate_block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    block = next(b for b in blocks if "evalsuite gate" in b)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def evalsuite(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, EVALSUITE_CACHE=str(cwd / "cache"))
    return subprocess.run([sys.executable, "-m", "evalsuite.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_readme_gate_example_runs_as_written(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")  # what a clone has beside README.md
    lines = readme_gate_block()
    assert len(lines) == 3 and lines[-1].startswith("evalsuite gate")
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "evalsuite"
        proc = evalsuite(words[1:], tmp_path)
        assert proc.returncode == 0, (line, proc.stderr[-2000:])
    report = json.loads((tmp_path / "gate.json").read_text())
    # Independent count: the replay file ranks a wrong set first (two sets listed) for some items.
    replies = [json.loads(x) for x in (tmp_path / "examples" / "pr-replies.jsonl").read_text().splitlines()]
    demoted = sum(1 for r in replies if len(json.loads(r["response"].split("\n", 1)[1])) == 2)
    assert demoted == 6 and len(replies) == 38
    top1 = next(r for r in report["rows"] if r["metric"] == "top_1")
    assert top1["baseline"] == 1.0 and abs(top1["candidate"] - 32 / 38) < 1e-12
    assert top1["discordant"] == [6, 0]
    assert abs(top1["p"] - 2 * 0.5**6) < 1e-12  # exact McNemar, b = 6, c = 0
    assert abs(top1["p_holm"] - 2 * 2 * 0.5**6) < 1e-12  # Holm over the two guards: 0.0625 > 0.05
    assert top1["verdict"] == "WARN" and report["verdict"] == "pass"
    # the headline says what the README says: WARN (exit 0), not PASS over a warning row
    assert "evalsuite gate: ⚠️ WARN" in proc.stdout and "gate: ✅ PASS" not in proc.stdout


def test_gate_notes_runs_that_differ_in_temperature_or_max_tokens(tmp_path):
    base = ["run", "--model", "oracle", "--benchmark", "tail/compare-numbers", "--limit", "20", "--no-progress"]
    assert evalsuite([*base, "--out", "a"], tmp_path).returncode == 0
    assert evalsuite([*base, "--out", "b", "--temperature", "0.7", "--max-tokens", "64"], tmp_path).returncode == 0
    proc = evalsuite(["gate", "--baseline", "a", "--candidate", "b", "--json", "g.json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    notes = json.loads((tmp_path / "g.json").read_text())["notes"]
    assert notes == [
        "generation setting max_tokens differs: baseline 1024, candidate 64 (tail/compare-numbers); "
        "the verdict compares the settings as well as the models",
        "generation setting temperature differs: baseline 0.0, candidate 0.7 (tail/compare-numbers); "
        "the verdict compares the settings as well as the models",
    ]
    assert "- note: generation setting temperature differs" in proc.stdout
    same = evalsuite(["gate", "--baseline", "a", "--candidate", "a", "--json", "s.json"], tmp_path)
    assert same.returncode == 0 and json.loads((tmp_path / "s.json").read_text())["notes"] == []
