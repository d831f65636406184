"""Helpers for the rewards tests (loaded by file path: tests are not a package)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from evalsuite.cli import main
from evalsuite.core import registry

NON_TAIL = ["retrosynthesis", "forward-synthesis", "reaction-conditions", "hte-conditions/suzuki-miyaura",
            "hte-conditions/buchwald-hartwig", "crystal-stability"]
ALL = [*registry.expand(["tail"]), *NON_TAIL]


def data_for(name: str, shared: Path) -> Path | None:
    if name.startswith("hte-conditions/"):
        return shared / "hte"
    if name in ("retrosynthesis", "forward-synthesis"):
        return shared / "uspto50k" / "test.csv"
    return None


def off_by_one(target: str) -> str:
    """The gold answer with its last digit raised by one (9 -> 0), or its last letter moved on
    by one, or a comparison sign swapped: always another answer, since TAIL golds are unique."""
    swaps = {"<": ">", ">": "<", "=": "<"}
    if target in swaps:
        return swaps[target]
    for i in range(len(target) - 1, -1, -1):
        ch = target[i]
        if ch.isdigit():
            return target[:i] + str((int(ch) + 1) % 10) + target[i + 1:]
        if ch.isalpha():
            return target[:i] + ("a" if ch == "z" else chr(ord(ch) + 1)) + target[i + 1:]
    raise AssertionError(f"cannot mutate {target!r}")


def replay_run(tmp_path: Path, name: str, replies: dict[str, str], data: Path | None, tag: str,
               limit: int | None = None) -> list[dict]:
    """``evalsuite run --model replay/FILE`` over the first ``limit`` samples; the journal lines of
    the samples that have a reply."""
    replay = tmp_path / f"{tag}.jsonl"
    replay.write_text("".join(json.dumps({"id": i, "response": r}) + "\n" for i, r in replies.items()))
    out = tmp_path / f"run-{tag}"
    args = ["run", "--model", f"replay/{replay}", "--benchmark", name, "--out", str(out), "--first",  # the first N, as the samples the test built
            str(limit or len(replies)), "--no-progress", "--no-cache", "--max-error-rate", "1"]
    if data is not None:
        args += ["--data", str(data)]
    assert main(args) == 0
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return [r for r in records if r["id"] in replies]


SAFE = re.compile(r"[^a-z0-9]+")


def tag_of(name: str) -> str:
    return SAFE.sub("-", name)


def _mix():
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("reward_server_mix", root / "bench" / "reward_server_mix.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MIX = _mix()
SLOW_OPTIONS = MIX.SLOW_OPTIONS


def slow_retro_completion() -> str:
    """50 valid 289-atom grids (bench/reward_server_mix.py): with ``k=50`` about a second of
    RDKit ring perception here, far above the caps the tests set."""
    return MIX.slow_completion(0)
