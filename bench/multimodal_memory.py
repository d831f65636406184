"""Peak RSS of a multimodal run: molecule-recognition on 200 USPTO-50K products, through the dev
server (oracle replies by image hash), in a child process. Pictures are read from the image store
one request at a time, so the peak should not grow with the number of pictures.

    python bench/multimodal_memory.py [USPTO50K_TEST_CSV]   (default: ../shared/data/uspto50k/test.csv)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evalsuite.core import registry
from evalsuite.integrations.devserver import DevServer, by_image_hash

ROOT = Path(__file__).resolve().parents[1]
N = 200


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "uspto50k" / "test.csv"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EVALSUITE_CACHE"] = str(Path(tmp) / "cache")
        bench = registry.create("molecule-recognition")
        t0 = time.perf_counter()
        table = {}
        for sample in bench.samples(data, 0, N):
            (part,) = [p for p in sample.messages[0]["content"] if p["type"] == "image"]
            table[part["sha256"]] = bench.oracle_response(sample)
        drawing_s = time.perf_counter() - t0
        with DevServer(by_image_hash(table), record_prompts=False) as server:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "evalsuite.cli", "run", "--model", "openai/vision", "--base-url",
                            server.url, "--benchmark", "molecule-recognition", "--data", str(data), "--limit", str(N),
                            "--out", str(Path(tmp) / "run"), "--no-progress"], check=True, env=os.environ.copy(),
                           stdout=subprocess.DEVNULL)
            run_s = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        result = json.loads((Path(tmp) / "run" / "results.json").read_text())["benchmarks"]["molecule-recognition"]
        stored = sum(f.stat().st_size for f in (Path(tmp) / "cache" / "images").glob("*.png"))
    print(f"molecule-recognition, {result['n']} pictures ({stored / 1e6:.1f} MB of PNG in the store): "
          f"drawing {drawing_s:.1f} s, run {run_s:.1f} s, peak RSS of the run {peak_mb:.0f} MB, "
          f"exact {result['metrics']['exact']['value']:.3f}")


if __name__ == "__main__":
    main()
