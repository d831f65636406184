"""Time of the lm-eval export round trip: export -> lm-eval task index -> simple_evaluate.

The model is the loopback DevServer answering with the oracle reply, so the time is the
harness's own. lm-eval's task index is built from the export folder only
(``TaskManager(include_defaults=False)``); for contrast the script also times building the
index of lm-eval's built-in tasks, which ``include_defaults=True`` (the default) would add.
Usage: python bench/lm_eval_export.py [--benchmark tail/compare-numbers] [--n 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="tail/compare-numbers")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-defaults", action="store_true", help="do not time lm-eval's built-in index")
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    t0 = time.perf_counter()
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from evalsuite.core import registry
    from evalsuite.integrations.devserver import DevServer
    from evalsuite.integrations.export_lm_eval import export, task_name

    print(f"import lm_eval + evalsuite: {time.perf_counter() - t0:.2f} s (once per process)")
    bench = registry.create(args.benchmark)
    replies = {s.messages[-1]["content"]: bench.oracle_response(s) for s in bench.samples(None, 0, args.n)}
    task = task_name(args.benchmark)
    rows = []
    with DevServer(lambda m: replies[m[-1]["content"]]) as server:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                t = time.perf_counter()
                export(args.benchmark, Path(folder), data={}, limit=args.n, seed=0, options=[])
                t_export = time.perf_counter() - t
                t = time.perf_counter()
                manager = TaskManager(include_path=folder, include_defaults=False)
                t_index = time.perf_counter() - t
                t = time.perf_counter()
                result = simple_evaluate(
                    model="local-chat-completions",
                    model_args=f"base_url={server.url}/chat/completions,model=dev,num_concurrent=8",
                    tasks=[task], task_manager=manager, apply_chat_template=True, log_samples=True,
                    bootstrap_iters=0,
                )
                t_eval = time.perf_counter() - t
                headline = result["results"][task][f"{bench.headline},none"]
                rows.append((t_export, t_index, t_eval, headline))
    print(f"{args.benchmark}, {args.n} samples, oracle replies from a loopback server, {args.repeat} repeats")
    print(f"{'export':>8} {'index':>8} {'evaluate':>9} {'total':>8}  {bench.headline}")
    for t_export, t_index, t_eval, headline in rows:
        print(f"{t_export:8.3f} {t_index:8.3f} {t_eval:9.3f} {t_export + t_index + t_eval:8.3f}  {headline:.3f}")
    best = min(rows, key=lambda r: r[0] + r[1] + r[2])
    print(f"round trip (best of {args.repeat}): {sum(best[:3]):.2f} s "
          f"({args.n / sum(best[:3]):.0f} samples/s end to end)")
    if not args.skip_defaults:
        t = time.perf_counter()
        defaults = TaskManager(include_defaults=True)
        print(f"for contrast, lm-eval's built-in task index (include_defaults=True): "
              f"{time.perf_counter() - t:.2f} s, {len(defaults.all_tasks)} names")


if __name__ == "__main__":
    main()
