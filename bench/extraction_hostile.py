"""Grading time of 1 MB degenerate replies (repeated markers), for every benchmark (issue 30, item 4).

Run: python bench/extraction_hostile.py [--size 1000000] [--benchmark NAME ...] [--uncapped]

Each reply is one marker shape repeated to ``--size`` characters (unclosed ``\\boxed{``, nested
``\\boxed{``...``}``, ``<think>``, answer tags, ``Final Answer:`` on one line and on many, code
fences, JSON openers); every benchmark grades every shape through ``engine.grading.grade`` (the
reply cap, think split, extraction and scoring), in process; ``--uncapped`` skips the reply cap
(think split and the benchmark's ``extract`` only), to time extraction itself. Prints the
slowest shape per benchmark. Before issue 30, 48 KB of ``\\boxed{`` took 49 s; linear scans take milliseconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from evalsuite.core import registry
from evalsuite.core.reasoning import parts_of
from evalsuite.core.types import Reply
from evalsuite.engine.grading import grade

UNITS = {
    "boxed-open": "\\boxed{",
    "boxed-closed": "\\boxed{1}",
    "think-open": "<think>",
    "think-pair": "<think>x</think>",
    "answer-open": "<answer>",
    "answer-tag-open": "[ANSWER]",
    "final-answer-line": "Final Answer: ",
    "final-answer-lines": "Final Answer:\n",
    "fence-open": "```x\n",
    "json-open": "[{",
    "json-list": "[1,",
}


def replies(size: int) -> dict[str, str]:
    out = {name: unit * (size // len(unit)) for name, unit in UNITS.items()}
    depth = size // 8
    out["boxed-nested"] = "\\boxed{" * depth + "1" + "}" * depth
    return out


def data_for(name: str, shared: Path) -> Path | None:
    if name.startswith("hte-conditions/"):
        return shared / "hte"
    if name in ("retrosynthesis", "forward-synthesis"):
        return shared / "uspto50k" / "test.csv"
    return None


def first_sample(name: str, shared: Path):
    bench = registry.create(name)
    try:
        return bench, next(iter(bench.samples(data_for(name, shared), 0, 1)))
    except Exception as exc:  # noqa: BLE001 - a benchmark without local data is reported, not timed
        return bench, exc


def time_all(names: list[str], size: int, shared: Path, uncapped: bool = False) -> dict[str, tuple[str, float]]:
    """benchmark -> (slowest shape, its seconds)."""
    shapes = replies(size)
    out = {}
    for name in names:
        bench, sample = first_sample(name, shared)
        if isinstance(sample, Exception):
            print(f"  {name}: skipped ({sample})", file=sys.stderr)
            continue
        worst = ("", 0.0)
        for shape, text in shapes.items():
            start = time.perf_counter()
            if uncapped:
                bench.extract(parts_of(Reply(text=text)).content, sample)
            else:
                grade(bench, sample, Reply(text=text))
            took = time.perf_counter() - start
            worst = max(worst, (shape, took), key=lambda pair: pair[1])
        out[name] = worst
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--benchmark", nargs="*")
    parser.add_argument("--uncapped", action="store_true")
    args = parser.parse_args()
    shared = Path(os.environ.get("EVALSUITE_SHARED_DATA", "/work/shared/data"))
    names = args.benchmark or sorted(registry.benchmarks())
    results = time_all(names, args.size, shared, args.uncapped)
    for name, (shape, took) in sorted(results.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:45s} slowest {shape:20s} {took * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
