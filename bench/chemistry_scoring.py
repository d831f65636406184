"""Scoring throughput of retrosynthesis: top-10 replies extracted and scored per minute, one core.

Replies are built from USPTO-50K: for each product, 10 candidates drawn from other reactions'
reactant sets (real molecules), with the gold set at a random rank in half of them, one
duplicate and one invalid SMILES in each. Gold canonicalisation is cached across replies, as in
a run (each gold is scored once per reply, and here once per product).
Usage: python bench/chemistry_scoring.py [PATH/TO/test.csv] [--n 1000] [--modes exact,...]
Target: >= 5,000 replies per minute in the default (exact) mode.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from evalsuite.benchmarks.synthesis import Retrosynthesis
from evalsuite.scorers import chemistry

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uspto50k" / "test.csv"


def replies(samples: list, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    pool = [s.target for s in samples]
    out = []
    for sample in samples:
        candidates = rng.sample(pool, 8)
        candidates.insert(rng.randrange(9), candidates[0])  # a duplicate
        candidates.insert(rng.randrange(10), "C1CC(N)C(=O")  # invalid: unclosed ring and branch
        if rng.random() < 0.5:
            candidates[rng.randrange(10)] = sample.target
        out.append("Here are my proposals, best first:\n" + json.dumps(candidates[:10]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--modes", default=",".join(chemistry.MATCH_MODES))
    args = parser.parse_args()
    samples = list(Retrosynthesis({}).samples(args.data, 0, args.n))
    texts = replies(samples)
    for mode in args.modes.split(","):
        for cache in (chemistry.parse_cached, chemistry.gold_key, chemistry.gold_fingerprint):
            cache.cache_clear()
        bench = Retrosynthesis({"match_mode": mode})
        t0 = time.perf_counter()
        top10 = 0.0
        for sample, text in zip(samples, texts, strict=False):
            top10 += bench.score(bench.extract(text, sample), sample).values["top_10"]
        elapsed = time.perf_counter() - t0
        print(f"{mode:17s} {len(samples)} top-10 replies in {elapsed:.2f}s = "
              f"{len(samples) / elapsed * 60:,.0f} replies/min (top-10 hit rate {top10 / len(samples):.2f})")


if __name__ == "__main__":
    main()
