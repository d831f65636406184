"""Aggregation cost of --epochs: results.aggregate over N items x K epochs vs N x K single replies.

Writes synthetic journals of tail/large-number-addition (replies right with probability 0.4,
"7" otherwise) and prints seconds per aggregation. Usage: python bench/epochs_aggregate.py [N] [K]
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

from evalsuite.core import registry
from evalsuite.files import results

BENCH = "tail/large-number-addition"


def journal(path: Path, items: int, epochs: int, rng: random.Random) -> None:
    bench = registry.create(BENCH, {"per_bucket": str(items)})
    samples = list(bench.samples(None, 0, items))
    with (path / "samples.jsonl").open("w") as handle:
        for epoch in range(epochs):
            for sample in samples:
                right = rng.random() < 0.4
                handle.write(json.dumps({
                    "benchmark": BENCH, "id": sample.id, "prompt": [], "response": "", "epoch": epoch,
                    "prediction": sample.target if right else "7", "target": sample.target,
                    "scores": {"accuracy": 1.0 if right else 0.0}, "extraction": "final-answer",
                    "error": None, "metadata": sample.metadata, "cached": False}) + "\n")


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    bench = registry.create(BENCH, {"per_bucket": str(items)})
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)
        journal(run, items, epochs, random.Random(0))
        start = time.perf_counter()
        out = results.aggregate(run, {BENCH: bench}, 0, epochs=epochs)
        repeated_s = time.perf_counter() - start
        metrics = out["benchmarks"][BENCH]["metrics"]
        print(f"{items} items x {epochs} epochs: aggregate {repeated_s:.2f} s "
              f"(avg@K {metrics['accuracy']['value']:.3f}, pass@{epochs} {metrics[f'pass@{epochs}']['value']:.3f}, "
              f"maj@{epochs} {metrics[f'maj@{epochs}']['value']:.3f})")
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)
        journal(run, items * epochs, 1, random.Random(0))
        big = registry.create(BENCH, {"per_bucket": str(items * epochs)})
        start = time.perf_counter()
        results.aggregate(run, {BENCH: big}, 0)
        print(f"{items * epochs} items x 1 epoch: aggregate {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
