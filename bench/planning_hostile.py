"""Seconds to grade hostile synthesis-planning replies (issue 18 asks for under one second each).

Run: python bench/planning_hostile.py
"""

from __future__ import annotations

import json
import random
import time

from evalsuite.benchmarks.synthesis_planning import SynthesisPlanning
from evalsuite.core.types import Reply
from evalsuite.engine import grading

REPLIES = {
    "random bytes (20 kB)": bytes(random.Random(3).randrange(256) for _ in range(20_000)).decode("latin-1"),
    "1 MB of braces": "{" * 1_000_000,
    "1 MB of text": "the route is " * 80_000,
    "200-step route": json.dumps({"routes": [[f"{'C' * (i + 1)}O>>{'C' * (i + 2)}O" for i in range(200)]]}),
    "200-deep tree": json.dumps({"routes": [json.loads('{"smiles": "CO"' + ', "children": [{"smiles": "CCO"' * 200
                                                       + "}]" * 200 + "}")]}),
    "5,000-atom SMILES": json.dumps({"routes": [["C" * 5000 + ">>CC(=O)Nc1ccc(O)cc1"]]}),
    "50 routes of 10 steps": json.dumps({"routes": [[f"{'C' * (i + 1)}O>>{'C' * (i + 2)}O" for i in range(10)]] * 50}),
}


def main() -> None:
    bench = SynthesisPlanning({"k": 50})
    sample = next(s for s in bench.samples(None, 0, None) if s.id == "paracetamol")
    grading.grade(bench, sample, Reply(text=bench.oracle_response(sample)))  # warm RDKit and retrocast
    for name, reply in REPLIES.items():
        start = time.perf_counter()
        prediction, score = grading.grade(bench, sample, Reply(text=reply))
        seconds = time.perf_counter() - start
        why = (prediction.failure or score.reason or "")[:70]
        print(f"{name:24s} {seconds:7.3f} s  solved={score.values.get('solved')}  {why}")


if __name__ == "__main__":
    main()
