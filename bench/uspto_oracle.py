"""Time load + extract + score + aggregate of USPTO-50K with oracle replies, per match mode.

Usage: python bench/uspto_oracle.py [PATH/TO/test.csv] [--modes exact,no-stereo,...]
Prints seconds per phase and top-1 (must be 1.0 in every mode). The target for the whole
`evalsuite run --model oracle --benchmark retrosynthesis --data PATH` is under 60 s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from evalsuite.benchmarks.synthesis import ForwardSynthesis, Retrosynthesis
from evalsuite.core.types import SampleRecord
from evalsuite.scorers import chemistry

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uspto50k" / "test.csv"


def run(cls: type, path: Path, mode: str) -> None:
    for cache in (chemistry.parse_cached, chemistry.gold_key, chemistry.gold_fingerprint):
        cache.cache_clear()  # each mode timed from cold, as a fresh process would be
    bench = cls({"match_mode": mode})
    t0 = time.perf_counter()
    samples = list(bench.samples(path, 0, None))
    t1 = time.perf_counter()
    records = []
    for sample in samples:
        prediction = bench.extract(bench.oracle_response(sample), sample)
        score = bench.score(prediction, sample)
        records.append(
            SampleRecord(bench.name, sample.id, [], None, prediction.value, sample.target, score.values,
                         prediction.extraction_label, None, score.reason, sample.metadata)
        )
    t2 = time.perf_counter()
    result = bench.aggregate(records, 0)
    t3 = time.perf_counter()
    headline = result.metrics[bench.headline].value
    print(f"{bench.name:18s} {mode:17s} n={result.n} {bench.headline}={headline:.4f} "
          f"load={t1 - t0:.1f}s score={t2 - t1:.1f}s aggregate={t3 - t2:.1f}s total={t3 - t0:.1f}s")


def roundtrip(path: Path) -> None:
    import csv

    from rdkit import Chem

    t0 = time.perf_counter()
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    bad: dict[str, int] = {mode: 0 for mode in chemistry.MATCH_MODES}
    for row in rows:
        mapped = chemistry.parse(row[2].split(">")[0])
        rewritten = Chem.MolToSmiles(Chem.MolFromSmiles(mapped.smiles), doRandom=True, canonical=False)
        for mode in chemistry.MATCH_MODES:
            want = chemistry.match_key(mapped, mode).items
            for text in (mapped.smiles, rewritten):
                if chemistry.match_key(chemistry.parse(text), mode).items != want:
                    bad[mode] += 1
                    print(f"  key changed: {row[0]} {mode} {text}")
    print(f"round trip of {len(rows)} gold sets in {time.perf_counter() - t0:.1f}s; mismatches per mode: {bad}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--modes", default=",".join(chemistry.MATCH_MODES))
    parser.add_argument("--forward", action="store_true", help="also time forward-synthesis")
    parser.add_argument("--roundtrip", action="store_true",
                        help="also check, with no shortcut, that every gold set keeps its key in every "
                        "mode when re-read from its canonical text and from a random SMILES")
    args = parser.parse_args()
    if args.roundtrip:
        roundtrip(args.data)
    for mode in args.modes.split(","):
        run(Retrosynthesis, args.data, mode)
        if args.forward:
            run(ForwardSynthesis, args.data, mode)


if __name__ == "__main__":
    main()
