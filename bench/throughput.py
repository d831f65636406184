"""Throughput: evalsuite ``run`` vs lm-eval ``local-chat-completions``, same prompts, same server.

Run: python bench/throughput.py [--sizes 2000,20000] [--concurrency 32] [--latency-sizes 2000,10000] [--repeat 5]

What it measures, per size N (TAIL ``tail/large-number-addition``, N samples over S/M/L):
- the server: ``python -m evalsuite.integrations.devserver`` in its own process (aiohttp, so it is not the
  bottleneck, and client and server do not share a GIL), answering every prompt with the
  oracle reply, zero latency;
- evalsuite: ``evalsuite run --model openai/dev --max-concurrency 32`` end to end in a fresh
  process (planning, sample generation, requests, reply cache writes, extraction, scoring,
  journal, aggregation with bootstrap CIs, results.json); timed inside the process around
  ``cli.main`` so interpreter start-up is excluded on both sides;
- lm-eval: ``lm_eval.simple_evaluate(model="local-chat-completions", num_concurrent=32,
  apply_chat_template=True)`` as a library in a fresh process, on a task (JSON Lines data set,
  ``Final Answer:`` regex filter, exact_match) holding the same prompts. Its TaskManager is
  built before the clock starts and indexes only that task (indexing lm-eval's 14,000 built-in
  task files takes about 15 s and would swamp the comparison).
Both must score 1.0 (the replies are the oracle's), which shows each graded every sample.

Latency mode: the server adds 100 ms to every request; evalsuite's wall time (whole ``run``,
and the request phase alone) is printed against the ideal N x latency / concurrency, beside a
bare aiohttp loop sending the same requests (the floor this machine allows; its clock starts
after ``import asyncio, aiohttp`` and reading the prompts, evalsuite's after the same two
imports, before ``cli.main``: evalsuite's own imports (numpy included) and planning count
against evalsuite only; the two shared imports are timed and printed apart, and a user pays them
once per run, 0.1-0.2 s on this machine) and lm-eval against the same server. The whole
run also pays fixed costs the ideal leaves out (imports, generating and hashing the samples,
aggregation: about 1 s), which weigh less as N grows, hence two sizes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = "tail/large-number-addition"
ROOT = Path(__file__).resolve().parents[1]


def options_for(n: int) -> list[str]:
    return [f"per_bucket={math.ceil(n / 3)}"]


def prepare(work: Path, n: int) -> tuple[Path, Path]:
    """Write the server's reply table and lm-eval's data set + task file for the first N samples."""
    from evalsuite.core import registry

    bench = registry.create(BENCH, dict(o.split("=", 1) for o in options_for(n)))
    replies, data = work / "replies.jsonl", work / "lmeval_data.jsonl"
    with replies.open("w") as r, data.open("w") as d:
        for sample in bench.samples(None, 0, n):
            prompt = sample.messages[-1]["content"]
            r.write(json.dumps({"prompt": prompt, "reply": bench.oracle_response(sample)}) + "\n")
            d.write(json.dumps({"prompt": prompt, "target": sample.target}) + "\n")
    tasks = work / "lmeval_tasks"
    tasks.mkdir(exist_ok=True)
    (tasks / "evalsuite_throughput.yaml").write_text(
        f"""task: evalsuite_throughput
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{prompt}}}}"
doc_to_target: "{{{{target}}}}"
generation_kwargs:
  until: []
  max_gen_toks: 1024
  temperature: 0
  do_sample: false
filter_list:
  - name: final-answer
    filter:
      - function: regex
        regex_pattern: "Final Answer: *(.*)"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
"""
    )
    return replies, tasks


class Server:
    """``python -m evalsuite.integrations.devserver`` in a child process; the URL is its first stdout line."""

    def __init__(self, replies: Path | None, latency: float = 0.0):
        command = [sys.executable, "-m", "evalsuite.integrations.devserver", "--port", "0", "--latency", str(latency)]
        if replies is not None:
            command += ["--replies", str(replies)]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        if not line.startswith("serving on "):
            self.proc.kill()
            raise RuntimeError(f"dev server did not start: {line!r}")
        self.url = line.split()[-1]

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def child(kind: str, *args: str) -> dict:
    """Run one side in a fresh interpreter; it prints one JSON line with its timing."""
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run([sys.executable, __file__, "--child", kind, *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=3600)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{kind} child failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")


def child_evalsuite(url: str, n: int, out: str, concurrency: int) -> dict:
    os.environ["EVALSUITE_CACHE"] = str(Path(out) / "cache")  # a fresh cache: every reply is requested
    from evalsuite.cli import main

    # The bare loop's clock starts after `import asyncio, aiohttp`: evalsuite's starts there too
    # (the same libraries, the same cost), and the time is reported on its own.
    shared = time.perf_counter()
    import asyncio  # noqa: F401

    import aiohttp  # noqa: F401
    shared = time.perf_counter() - shared

    argv = ["run", "--model", "openai/dev", "--base-url", url, "--benchmark", BENCH, "--limit", str(n),
            "--out", str(Path(out) / "run"), "--max-concurrency", str(concurrency)]
    for option in options_for(n):
        argv += ["--set", option]
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        stdout, sys.stdout = sys.stdout, sink
        try:
            rc = main(argv)
        finally:
            sys.stdout = stdout
    wall = time.perf_counter() - start
    results = json.loads((Path(out) / "run" / "results.json").read_text())
    metric = results["benchmarks"][BENCH]["metrics"]["accuracy"]["value"]
    return {"rc": rc, "wall": wall, "shared_imports": shared, "request_phase": results["run"]["wall_seconds"],
            "n": results["benchmarks"][BENCH]["n"], "score": metric,
            "sent": results["run"]["requests"]["sent_to_model"]}


def child_lm_eval(url: str, n: int, tasks: str, concurrency: int) -> dict:
    import lm_eval
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=tasks, include_defaults=False)
    start = time.perf_counter()
    out = lm_eval.simple_evaluate(
        model="local-chat-completions",
        model_args={"base_url": url + "/chat/completions", "model": "dev", "num_concurrent": concurrency,
                    "tokenized_requests": False, "max_retries": 3},
        tasks=["evalsuite_throughput"], task_manager=manager, apply_chat_template=True,
    )
    wall = time.perf_counter() - start
    result = out["results"]["evalsuite_throughput"]
    return {"wall": wall, "n": result["sample_len"] if "sample_len" in result else n,
            "score": float(result["exact_match,final-answer"])}


def child_bare(url: str, n: int, replies: str, concurrency: int) -> dict:
    """The floor: a bare aiohttp loop posting the same prompts, doing nothing with the replies."""
    shared = time.perf_counter()
    import asyncio

    import aiohttp

    shared = time.perf_counter() - shared

    prompts = [json.loads(line)["prompt"] for line in open(replies, encoding="utf-8")][:n]

    async def main() -> None:
        slots = asyncio.Semaphore(concurrency)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            async def one(prompt: str) -> None:
                async with slots:
                    body = {"model": "dev", "messages": [{"role": "user", "content": prompt}]}
                    async with session.post(url + "/chat/completions", json=body) as response:
                        await response.read()

            await asyncio.gather(*(one(p) for p in prompts))

    start = time.perf_counter()
    asyncio.run(main())
    return {"wall": time.perf_counter() - start, "shared_imports": shared}


def throughput(n: int, concurrency: int, work: Path, with_lm_eval: bool) -> None:
    replies, tasks = prepare(work, n)
    with Server(replies) as server:
        ours = child("evalsuite", server.url, str(n), str(work / "evalsuite"), str(concurrency))
    if not with_lm_eval:
        print(f"N={n:>6}  evalsuite {n / ours['wall']:7.0f} samples/s ({ours['wall']:6.2f} s; request phase "
              f"{ours['request_phase']:.2f} s, {ours['sent']} requests)", flush=True)
        return
    with Server(replies) as server:
        theirs = child("lm-eval", server.url, str(n), str(tasks), str(concurrency))
    if ours["rc"] != 0 or ours["n"] != n or ours["score"] != 1.0 or theirs["score"] != 1.0:
        print(f"  WARNING: a side did not grade all samples correctly: {ours} {theirs}")
    a, b = n / ours["wall"], n / theirs["wall"]
    print(f"N={n:>6}  evalsuite {a:7.0f} samples/s ({ours['wall']:6.2f} s; request phase "
          f"{ours['request_phase']:.2f} s, {ours['sent']} requests)   lm-eval {b:7.0f} samples/s "
          f"({theirs['wall']:6.2f} s)   ratio {a / b:4.2f}x  (target >= 1.5x)", flush=True)


def latency_mode(n: int, concurrency: int, latency: float, work: Path, with_lm_eval: bool, repeat: int = 1) -> None:
    """evalsuite, the bare loop and lm-eval against the same slow server, one after another;
    with ``repeat`` R, evalsuite and the bare loop R times in turn (lm-eval once), each pair
    printed, then the medians: on a 2-core machine the same run varies by +-0.1 s."""
    replies, tasks = prepare(work, n)
    ideal = n * latency / concurrency
    pairs = []
    with Server(replies, latency=latency) as server:
        for attempt in range(repeat):
            ours = child("evalsuite", server.url, str(n), str(work / f"evalsuite-latency-{attempt}"), str(concurrency))
            bare = child("bare", server.url, str(n), str(replies), str(concurrency))
            pairs.append((ours, bare))
            if repeat > 1:
                print(f"  {attempt + 1}/{repeat}: evalsuite {ours['wall']:.2f} s, bare loop {bare['wall']:.2f} s, "
                      f"gap {100 * (ours['wall'] - bare['wall']) / ideal:+.1f} points", flush=True)
        theirs = child("lm-eval", server.url, str(n), str(tasks), str(concurrency)) if with_lm_eval else None
    ours = {key: statistics.median(o[key] for o, _ in pairs) for key in ("wall", "request_phase", "shared_imports")}
    bare = {key: statistics.median(b[key] for _, b in pairs) for key in ("wall", "shared_imports")}
    gaps = sorted(100 * (o["wall"] - b["wall"]) / ideal for o, b in pairs)
    over, floor = ours["wall"] / ideal - 1, bare["wall"] / ideal - 1
    line = (f"latency {latency * 1000:.0f} ms, N={n}, concurrency {concurrency}"
            f"{f', median of {repeat}' if repeat > 1 else ''}: ideal {ideal:.2f} s; "
            f"evalsuite run {ours['wall']:.2f} s ({over:+.1%}), request phase "
            f"{ours['request_phase']:.2f} s ({ours['request_phase'] / ideal - 1:+.1%}); "
            f"bare aiohttp loop {bare['wall']:.2f} s ({floor:+.1%}); gap to the bare loop "
            f"{100 * (over - floor):+.1f} points (target: within 3)"
            f"{f'; per pair {gaps[0]:+.1f} .. {gaps[-1]:+.1f}' if repeat > 1 else ''}; importing asyncio and aiohttp, "
            f"outside both clocks: {ours['shared_imports']:.2f} s here, {bare['shared_imports']:.2f} s there")
    if theirs is not None:
        line += (f"; lm-eval {theirs['wall']:.2f} s ({theirs['wall'] / ideal - 1:+.1%}), "
                 f"evalsuite/lm-eval speed {theirs['wall'] / ours['wall']:.2f}x")
    print(line, flush=True)


def compile_evalsuite() -> None:
    """Write evalsuite's bytecode, as ``pip install`` does: in a checkout on a machine with
    PYTHONDONTWRITEBYTECODE every child would compile ~140 modules (80 ms), which the bare loop's
    aiohttp, compiled at its install, never does. (compileall skips symbolic links to folders:
    the benchmarks, scorers and reports packages are named one by one.)"""
    import compileall
    import importlib

    for package in ("evalsuite", "evalsuite.benchmarks", "evalsuite.scorers", "evalsuite.reports"):
        folder = Path(importlib.import_module(package).__file__ or "").resolve().parent
        compileall.compile_dir(folder, quiet=1)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, url, n, where, concurrency = sys.argv[2:7]
        fn = {"evalsuite": child_evalsuite, "lm-eval": child_lm_eval, "bare": child_bare}[kind]
        print(json.dumps(fn(url, int(n), where, int(concurrency))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000", help="comma-separated sample counts")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request in latency mode")
    parser.add_argument("--latency-sizes", default="2000,10000", help="sample counts in latency mode ('' skips it)")
    parser.add_argument("--skip-lm-eval", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="latency mode: evalsuite and the bare loop this many times in turn, medians printed")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, benchmark {BENCH}, concurrency {args.concurrency}")
    compile_evalsuite()
    with tempfile.TemporaryDirectory(prefix="evalsuite-throughput-") as tmp:
        for size in (int(s) for s in args.sizes.split(",") if s):
            work = Path(tmp) / f"n{size}"
            work.mkdir()
            throughput(size, args.concurrency, work, not args.skip_lm_eval)
        for size in (int(s) for s in args.latency_sizes.split(",") if s):
            work = Path(tmp) / f"latency{size}"
            work.mkdir()
            latency_mode(size, args.concurrency, args.latency, work, not args.skip_lm_eval, args.repeat)


if __name__ == "__main__":
    main()
