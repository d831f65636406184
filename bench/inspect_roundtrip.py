"""Cost of the inspect_ai integration on one benchmark: ``inspect eval evalsuite/B`` with Inspect's
mockllm answering the oracle's replies (offline: each output carries its usage), ``evalsuite run``
of the same replies, ``evalsuite export inspect`` and ``evalsuite import inspect``.
Usage: python bench/inspect_roundtrip.py [--benchmark tail/lcs] [--n 200]   (needs evalsuite[inspect])
Prints seconds per stage and the log's size; no target (Inspect's per-sample machinery dominates).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.engine import subset


def timed(label: str, start: float) -> None:
    print(f"{label:<40} {time.perf_counter() - start:8.2f} s")


def run(benchmark: str, n: int, work: Path) -> None:
    start = time.perf_counter()
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    timed("import inspect_ai", start)
    bench = registry.create(benchmark)
    replies = {s.prompt_text: bench.oracle_response(s) for s in subset.select(bench, None, 0, limit=n)}

    def answer(input, tools, tool_choice, config):
        usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return ModelOutput.from_content("mockllm/model", replies[input[-1].text]).model_copy(update={"usage": usage})

    model = get_model("mockllm/model", custom_outputs=answer, memoize=False)
    start = time.perf_counter()
    [log] = inspect_eval(f"evalsuite/{benchmark}", task_args={"limit": n}, model=model, display="none",
                         log_dir=str(work / "logs"))
    timed(f"inspect eval evalsuite/{benchmark} (n={n})", start)
    replay = work / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": str(s.id), "response": s.output.completion}) + "\n"
                              for s in log.samples))
    quiet = ["--no-progress", "--grade-workers", "0"]
    start = time.perf_counter()
    main(["run", "--model", f"replay/{replay}", "--benchmark", benchmark, "--limit", str(n),
          "--out", str(work / "run"), *quiet])
    timed("evalsuite run, same replies", start)
    start = time.perf_counter()
    main(["export", "inspect", str(work / "run"), "--out", str(work / "run.eval")])
    timed("evalsuite export inspect", start)
    print(f"{'log size':<40} {(work / 'run.eval').stat().st_size:8,d} bytes")
    start = time.perf_counter()
    main(["import", "inspect", str(work / "run.eval"), "--out", str(work / "imported")])
    timed("evalsuite import inspect", start)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="tail/lcs")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="inspect-bench-"))
    try:
        run(args.benchmark, args.n, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
