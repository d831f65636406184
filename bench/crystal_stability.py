"""Timings of the crystal-stability benchmark. Prints numbers only.

    python bench/crystal_stability.py [N_ROWS]   (default 257000: the size of the WBM summary)

1. Start-up: ``evalsuite samples crystal-stability --limit 1`` in a fresh interpreter, per mode,
   with a cold and a warm hull cache (only formation-energy mode builds hulls).
2. Scale: a synthetic WBM-layout file of N_ROWS rows and a replay file of formation-energy
   answers for it; ``evalsuite run --model replay/...`` over all of it (wall time, peak RSS), then
   the aggregate alone in a fresh process, as a finished run's resume does it: samples.jsonl
   streamed into the benchmark's RecordTable and ``aggregate`` with every bootstrap CI.
3. Gate: a second run whose answers are all 0.02 eV/atom higher, and ``evalsuite gate`` of the
   two on the headline F1 (aggregate-only: 200 paired draws, each recomputed by the benchmark's
   ``point_values``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGGREGATE_ONLY = """
import resource, sys, time
from pathlib import Path
from evalsuite.core import registry
from evalsuite.files.results import aggregate
run_dir = Path(sys.argv[1])
bench = registry.create("crystal-stability", {"mode": "formation-energy", "source": "wbm", "subset": sys.argv[2]})
start = time.perf_counter()
result = aggregate(run_dir, {"crystal-stability": bench}, 0)["benchmarks"]["crystal-stability"]
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
f1 = result["metrics"]["f1"]
print(f"aggregate ({sys.argv[2]}, {result['subset']['n']} of {result['n']} rows, 1000-draw bootstrap CIs, "
      f"overall + {len(result['groups']['arity'])} arity groups): {took:.1f} s, peak RSS {peak:.0f} MB "
      f"(f1 {f1['value']:.3f} [{f1['ci95'][0]:.3f}, {f1['ci95'][1]:.3f}])")
"""


def cli(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "evalsuite.cli", *args], capture_output=True, check=True, env=env)
    return time.perf_counter() - start


def startup(env: dict[str, str]) -> None:
    for mode in ("classify", "e-above-hull", "formation-energy"):
        args = ["samples", "crystal-stability", "--set", f"mode={mode}", "--limit", "1"]
        cold = cli(args, env)
        warm = min(cli(args, env) for _ in range(3))
        print(f"samples --limit 1, mode={mode}: first {cold:.2f} s, then {warm:.2f} s (best of 3)")


def write_inputs(folder: Path, n: int) -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT / "tests" / "materials"))
    from layouts import FORMULAS, wbm_row, write_wbm  # the published 18-column layout

    rows, replies = [], []
    x = 12345
    for i in range(n):
        x = (1664525 * x + 1013904223) % 2**32
        u = x / 2**32
        e_hull, e_form = u * 0.9 - 0.25, -3.5 + 3.8 * ((x >> 7) % 1000) / 1000
        material_id = f"wbm-{1 + i // 60000}-{i % 60000 + 1}"
        rows.append(wbm_row(material_id, FORMULAS[i % len(FORMULAS)], f"{e_form:.6f}", f"{e_hull:.6f}",
                            unique=i % 6 != 0, index=i))
        error = (u - 0.5) * 0.3 if i % 401 else 6.5
        replies.append({"id": material_id, "response": f"Final Answer: {e_form + error:.4f} eV/atom"})
    data = write_wbm(folder / "wbm-synthetic.csv.gz", rows)
    replay = folder / "replay.jsonl"
    replay.write_text("".join(json.dumps(r) + "\n" for r in replies))
    return data, replay


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 257_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "EVALSUITE_CACHE": str(folder / "cache"), "PYTHONPATH": str(ROOT)}
        startup(env)
        start = time.perf_counter()
        data, replay = write_inputs(folder, n)
        print(f"synthetic WBM-layout file and replay, {n} rows: written in {time.perf_counter() - start:.1f} s")
        run_dir = folder / "run"
        run = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "evalsuite.cli", "run", "--model",
             f"replay/{replay}", "--benchmark", "crystal-stability", "--set", "mode=formation-energy",
             "--set", "source=wbm", "--data", str(data), "--out", str(run_dir), "--no-cache", "--no-progress"],
            capture_output=True, text=True, env=env)
        if run.returncode != 0:
            print(run.stderr[-2000:])
            raise SystemExit(run.returncode)
        wall, peak_kb = run.stderr.strip().splitlines()[-1].split()
        print(f"evalsuite run (replay, formation-energy, {n} rows): {float(wall):.1f} s, peak RSS {int(peak_kb) / 1024:.0f} MB")
        done = subprocess.run([sys.executable, "-c", AGGREGATE_ONLY, str(run_dir), "full"],
                              capture_output=True, text=True, env=env, check=True)
        print(done.stdout.strip())
        gate(folder, data, replay, run_dir, env, n)


def gate(folder: Path, data: Path, replay: Path, base: Path, env: dict[str, str], n: int) -> None:
    shifted = folder / "shifted.jsonl"
    with replay.open() as source, shifted.open("w") as out:
        for line in source:
            row = json.loads(line)
            value = float(row["response"].split(":")[1].split()[0]) + 0.02
            out.write(json.dumps({"id": row["id"], "response": f"Final Answer: {value:.4f} eV/atom"}) + "\n")
    candidate = folder / "candidate"
    subprocess.run([sys.executable, "-m", "evalsuite.cli", "run", "--model", f"replay/{shifted}", "--benchmark",
                    "crystal-stability", "--set", "mode=formation-energy", "--set", "source=wbm", "--data", str(data),
                    "--out", str(candidate), "--no-cache", "--no-progress"], capture_output=True, check=True, env=env)
    start = time.perf_counter()
    verdict = subprocess.run([sys.executable, "-m", "evalsuite.cli", "gate", "--baseline", str(base), "--candidate",
                              str(candidate), "--json", str(folder / "gate.json")], capture_output=True, text=True, env=env)
    took = time.perf_counter() - start
    row = json.loads((folder / "gate.json").read_text())["rows"][0]
    print(f"gate on f1 ({n} rows, 200 recomputed draws): {took:.1f} s, exit {verdict.returncode} "
          f"(f1 {row['baseline']:.4f} -> {row['candidate']:.4f}, p {row['p']:.4f})")


if __name__ == "__main__":
    main()
