"""The ``evalsuite`` command (docs/contracts.md#cli).

Only argparse is imported at start; each subcommand imports what it needs, so ``--help``
answers fast and a missing optional dependency only affects the command that needs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:  # a misspelled flag: the command's own usage, not the top-level one
        owning_parser(parser, getattr(args, "handler", None)).error(f"unrecognized arguments: {' '.join(extras)}")
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("\nevalsuite: interrupted; finished samples are saved; run the same command again to resume.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        import errno

        from evalsuite.files.redact import for_terminal

        known = user_errors()
        if isinstance(exc, known):
            print(f"evalsuite: error: {for_terminal(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            where = f" writing {exc.filename}" if exc.filename else ""
            print(f"evalsuite: error: no space left on the device{for_terminal(where)}; finished samples are kept: "
                  "free space and run the same command again to resume", file=sys.stderr)
            return EXIT_USAGE
        raise


def owning_parser(parser: argparse.ArgumentParser, handler: Any) -> argparse.ArgumentParser:
    """The (sub)command parser whose handler this is, searched depth first; ``parser`` if none."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if child.get_default("handler") is handler and handler is not None:
                    return child
                found = owning_parser(child, handler)
                if found is not child:
                    return found
    return parser


def user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'the user asked for something impossible': a message, no traceback."""
    from evalsuite.core.errors import EvalsuiteError

    return (EvalsuiteError, FileNotFoundError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalsuite",
        description="Scientific benchmark harness for language models.",
    )
    sub = parser.add_subparsers(metavar="COMMAND")

    p = sub.add_parser("list", help="list benchmarks, one per line (name, then description)")
    p.add_argument("--long", action="store_true", help="also each benchmark's notes (e.g. how a TAIL task differs from the paper)")
    p.add_argument("--suites", action="store_true", help="list the named suites (--benchmark @NAME) instead")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("samples", help="print a benchmark's samples as JSON Lines")
    p.add_argument("benchmark")
    add_data_args(p)
    p.add_argument("--images", type=Path, metavar="DIR",
                   help="write the pictures the prompts show to DIR as <sha256>.png")
    p.set_defaults(handler=cmd_samples)

    p = sub.add_parser("run", help="evaluate a model on benchmarks; writes OUT/results.json and OUT/samples.jsonl")
    p.add_argument("--model", help="openai/NAME, local/smollm2, replay/PATH.jsonl, oracle, lm-eval/NAME, "
                   "inspect/PROVIDER/NAME")
    p.add_argument("--benchmark", required=True, help="comma-separated benchmark or family names")
    p.add_argument("--out", type=Path, help="run directory, resumed when it exists (default runs/<model name>)")
    add_data_args(p)
    p.add_argument("--base-url", action="append", default=[], help="OpenAI-compatible server URL; repeat for replicas")
    p.add_argument("--model-args", help="k=v,... for lm-eval model classes and inspect/ providers")
    p.add_argument("--max-concurrency", type=bounded("--max-concurrency"), help="requests in flight (default 8)")
    p.add_argument("--timeout", type=bounded("--timeout"),
                   help="seconds per request (default: max(120, max_tokens / 25), so long thinking fits)")
    p.add_argument("--max-retries", type=bounded("--max-retries"), default=8)
    p.add_argument("--max-reply-bytes", type=bounded("--max-reply-bytes"), default=None,
                   help="largest reply body accepted from a server (default 16 MiB: a 64k-token reply is under 1 MiB)")
    p.add_argument("--retry-base-delay", type=bounded("--retry-base-delay"), default=0.5, help="first backoff step in seconds")
    p.add_argument("--max-error-rate", type=bounded("--max-error-rate"), default=0.1,
                   help="exit 1 when a larger share of samples got no reply, or all did (default 0.1)")
    add_generation_args(p)
    p.add_argument("--cache", type=Path, help="reply cache file (default ~/.cache/evalsuite/replies.sqlite)")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--overwrite", action="store_true", help="discard a run directory with another configuration")
    p.add_argument("--shard", help="I/N: run the I-th of N deterministic slices (0-based); auto: from a Slurm "
                   "job array; auto/N: from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX) or Slurm")
    p.add_argument("--epochs", type=bounded("--epochs"), default=1, metavar="K",
                   help="replies per item, epoch e sent with seed + e (default 1); adds pass@k, maj@K, consistency")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--sweep", metavar="KEY=V1,V2,...",
                   help="run the same items at each value of one generation setting (max_tokens=4096,16384, "
                        "reasoning_effort=low,high, or any body field) into OUT/KEY=VALUE sub-runs; OUT/results.json "
                        "gives accuracy, tokens, truncation and cost per value")
    add_grade_args(p)
    add_judge_args(p)
    p.add_argument("--report", type=Path, help="also write the HTML report to this file")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("report", help="one self-contained HTML page from run directories (and lm-eval results JSON files)")
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser("gate", help="statistical regression gate: exit 0 pass, 1 regression, 2 incomparable")
    p.add_argument("--baseline", required=True, type=Path)
    p.add_argument("--candidate", required=True, type=Path)
    p.add_argument("--policy", type=Path)
    p.add_argument("--json", type=Path, help="also write the verdicts as JSON")
    p.set_defaults(handler=cmd_gate)

    p = sub.add_parser("compare", help="paired differences between two runs, with CIs, no verdict")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("merge", help="combine shard run directories into one run")
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(handler=cmd_merge)

    p = sub.add_parser("data", help="public data sets: list, pull into the cache")
    p.set_defaults(handler=lambda _args, help_of=p: help_of.print_help() or EXIT_USAGE)
    data_sub = p.add_subparsers(metavar="ACTION")
    q = data_sub.add_parser("list", help="known data sets and whether they are cached")
    q.set_defaults(handler=cmd_data_list)
    q = data_sub.add_parser("pull", help="download data sets into the cache, checksum verified")
    q.add_argument("names", nargs="+", metavar="NAME")
    q.add_argument("--url", help="download from this http(s) URL instead of the public source (one NAME)")
    q.add_argument("--sha256", help="the file's sha256, for a data set that pins none (smolinstruct; one NAME)")
    q.set_defaults(handler=cmd_data_pull)

    p = sub.add_parser("export", help="export benchmarks to another harness (lm-eval) or as training data (train); "
                       "a run as an Inspect log (inspect RUN_DIR)")
    p.add_argument("target", choices=["lm-eval", "train", "inspect"])
    p.add_argument("run_dir", nargs="?", type=Path, metavar="RUN_DIR", help="inspect: the run directory to export")
    p.add_argument("--benchmark", help="lm-eval, train: the benchmark or family (required)")
    p.add_argument("--out", required=True, type=Path)
    add_data_args(p)
    add_export_train_args(p)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import", help="an Inspect log of an evalsuite task as a run directory (import inspect LOG)")
    p.add_argument("source", choices=["inspect"])
    p.add_argument("log", type=Path, metavar="LOG")
    p.add_argument("--out", type=Path, help="run directory to write (default runs/<log name>)")
    p.add_argument("--overwrite", action="store_true", help="replace a run directory that is not empty")
    p.set_defaults(handler=cmd_import)
    add_serve_parser(sub)
    return parser


def add_judge_args(p: argparse.ArgumentParser) -> None:
    from evalsuite.engine.checks import argtype

    p.add_argument("--judge-model", help="a judge model (openai/NAME ...) for benchmarks that declare a judge "
                   "protocol (chembench4k, matbench-text); its tokens are counted apart")
    p.add_argument("--judge-base-url", action="append", default=[], help="the judge's server URL; repeatable")
    p.add_argument("--judge-temperature", type=argtype("--temperature"), help="judge temperature (default 0)")
    p.add_argument("--judge-max-tokens", type=argtype("--max-tokens"), help="judge token limit (default 8192)")
    p.add_argument("--judge-price", metavar="INPUT,OUTPUT", help="the judge's price per million tokens")


def judge_config(args: argparse.Namespace) -> Any:
    if not args.judge_model:
        return None
    from dataclasses import replace

    from evalsuite.engine.judge import JUDGE_SETTINGS, JudgeConfig
    from evalsuite.files.accounting import Prices

    settings = JUDGE_SETTINGS
    if args.judge_temperature is not None:
        settings = replace(settings, temperature=args.judge_temperature)
    if args.judge_max_tokens is not None:
        settings = replace(settings, max_tokens=args.judge_max_tokens)
    try:
        prices = Prices.parse(args.judge_price) if args.judge_price else None
    except ValueError as exc:
        from evalsuite.core.errors import RunError

        raise RunError(str(exc).replace("--price", "--judge-price")) from None
    return JudgeConfig(model=args.judge_model, base_urls=args.judge_base_url, settings=settings,
                       max_retries=args.max_retries, prices=prices, use_cache=not args.no_cache, cache_path=args.cache)


def add_generation_args(p: argparse.ArgumentParser) -> None:
    from evalsuite.engine.model_config import add_generation_args as add

    add(p)


def add_grade_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grade-workers", type=int, metavar="N",
                   help="grading processes for heavy graders (RDKit); default: the machine's cores; 0: in process")
    p.add_argument("--grade-timeout", type=float, default=30.0, metavar="S",
                   help="wall-clock cap per graded item in the pool, seconds (default 30)")


def add_export_train_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("export train")
    g.add_argument("--split", choices=["train", "test"], default="train")
    g.add_argument("--n", type=int, help="rows per bucket or length range (TAIL), rows in all (data sets)")
    g.add_argument("--format", dest="fmt", choices=["jsonl", "verl", "sft"], default="jsonl")
    g.add_argument("--buckets", help="TAIL: buckets to draw, in curriculum order (e.g. S,M)")
    g.add_argument("--lengths", help="TAIL: explicit length ranges instead of buckets (e.g. 5-10,11-20)")
    g.add_argument("--curriculum", action="store_true",
                   help="TAIL: rows stage by stage, shortest first (default: stages interleaved)")


def add_serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the graders as rewards over HTTP (POST /score, /get_reward; GET /healthz)")
    p.add_argument("what", choices=["rewards"])
    p.add_argument("--host", default="127.0.0.1", help="bind address (default loopback only)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--benchmark", help="OpenRLHF labels that are bare targets are graded as this benchmark")
    p.add_argument("--max-body", type=int, default=16 * 1024 * 1024, help="bytes per request (default 16 MiB)")
    p.add_argument("--max-items", type=int, default=1024, help="items per request (default 1024)")
    p.add_argument("--max-concurrency", type=int, default=16, help="requests graded at once (default 16)")
    p.add_argument("--cache-size", type=int, default=20_000, help="cached results (default 20000)")
    p.add_argument("--body-timeout", type=float, default=10.0, metavar="S",
                   help="seconds a request body may take to arrive, else 408 (default 10)")
    add_grade_args(p)
    p.set_defaults(handler=cmd_serve)


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", action="append", default=[], help="data file; BENCH=PATH when several benchmarks run")
    subset = p.add_mutually_exclusive_group()
    subset.add_argument("--limit", type=bounded("--limit"), help="at most N samples per benchmark: a seeded subset "
                        "stratified by the benchmark's groups (same --seed, same items)")
    subset.add_argument("--first", type=bounded("--limit"),
                        help="the first N samples per benchmark, in data order (instead of --limit)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="options", action="append", default=[], metavar="KEY=VALUE",
                   help="benchmark option; BENCH:KEY=VALUE for one benchmark")


def bounded(option: str) -> Any:
    """argparse type for a numeric option with a range (``evalsuite/checks.py``)."""
    from evalsuite.engine.checks import argtype

    return argtype(option)


def parse_data(items: list[str]) -> dict[str, Path]:
    from evalsuite.engine.runner import RunError

    out: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if sep and not Path(item).exists():
            out[name] = Path(path)
        elif "*" in out:
            raise RunError("--data given twice without BENCH=PATH")
        else:
            out["*"] = Path(item)
    return out


# -- commands -----------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from evalsuite.core import registry

    if getattr(args, "suites", False):
        from evalsuite.engine import suites

        for name in suites.names():
            suite = suites.load(name)
            print(f"@{name}\t{suite.description}\t{', '.join(suite.benchmarks)}\t{' '.join(suite.options)}")
        return EXIT_OK
    registry.warn_broken()
    for name, entry in sorted(registry.benchmarks().items()):
        print(f"{name}\t{entry.description}")
        notes = getattr(entry.factory, "list_notes", None)
        if getattr(args, "long", False) and callable(notes):
            for note in notes():
                print(f"    {note}")
    return EXIT_OK


def cmd_samples(args: argparse.Namespace) -> int:
    from evalsuite.core import registry
    from evalsuite.engine import subset

    names = registry.expand([args.benchmark])
    options = registry.split_options(args.options, names)
    data = parse_data(args.data)
    for name in names:
        bench = registry.create(name, options[name])
        path = data.get(name, data.get("*"))
        for sample in subset.select(bench, path, args.seed, limit=args.limit, first=args.first):
            line = {"benchmark": name, "id": sample.id, "prompt": sample.messages,
                    "target": sample.target, "metadata": sample.metadata}
            if args.images is not None:
                from evalsuite.core import images

                images.write_out(sample.messages, args.images)
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from evalsuite.engine import suites
    from evalsuite.engine.model_config import default_out, generation_config
    from evalsuite.engine.runner import RunConfig, Runner
    from evalsuite.engine.shards import parse_shard

    shard = parse_shard(args.shard)
    benchmarks, args.options, _ = suites.expand(args.benchmark.split(","), args.options)
    generation = generation_config(args)
    args.out = args.out or default_out(generation["model"])
    config = RunConfig(
        benchmarks=benchmarks,
        out=args.out,
        data=parse_data(args.data),
        limit=args.limit,
        first=args.first,
        seed=args.seed,
        options=args.options,
        **generation,
        max_retries=args.max_retries,
        retry_base_delay_s=args.retry_base_delay,
        **({"max_reply_bytes": args.max_reply_bytes} if args.max_reply_bytes else {}),
        cache_path=args.cache,
        use_cache=not args.no_cache,
        overwrite=args.overwrite,
        shard=shard,
        model_args=args.model_args,
        progress=not args.no_progress,
        max_error_rate=args.max_error_rate,
        epochs=args.epochs,
        grade_workers=args.grade_workers,
        grade_timeout_s=args.grade_timeout,
        judge=judge_config(args),
    )
    if args.sweep:
        return run_sweep_command(args, config)
    runner = Runner(config)
    data = runner.run()
    print_summary(data, args.out)
    from evalsuite.engine.judge import summary_lines

    for line in summary_lines(data):
        print(line)
    if args.report:
        write_report([args.out], args.report)
    from evalsuite.engine.checks import error_rate_problem

    problem = error_rate_problem(data, args.max_error_rate, runner.first_error)
    if problem:
        from evalsuite.files.redact import for_terminal

        print(f"evalsuite: error: {for_terminal(problem)}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def run_sweep_command(args: argparse.Namespace, config: Any) -> int:
    from evalsuite.core.errors import RunError
    from evalsuite.engine.checks import error_rate_problem
    from evalsuite.engine.sweep import run_sweep
    from evalsuite.files.sweep import parse_values

    try:
        key, values = parse_values(args.sweep)
    except ValueError as exc:
        raise RunError(str(exc)) from None
    data, runners = run_sweep(config, key, values)
    print_sweep(data["sweep"], args.out)
    if args.report:
        write_report([args.out], args.report)
    for runner, value in zip(runners, values, strict=True):
        sub = json.loads((runner.config.out / "results.json").read_text(encoding="utf-8"))
        problem = error_rate_problem(sub, args.max_error_rate, runner.first_error)
        if problem:
            print(f"evalsuite: error: {key}={value}: {problem}", file=sys.stderr)
            return EXIT_FAIL
    return EXIT_OK


def print_sweep(sweep: dict[str, Any], out: Path) -> None:
    """One row per benchmark and value: headline (95% CI), tokens, truncation, cost."""
    rows: list[tuple[str, ...]] = [("benchmark", sweep["key"], "metric", "value", "95% CI", "completion mean",
                                    "completion p95", "reasoning mean", "truncated", "cost")]

    def number(value: Any, digits: int = 0) -> str:
        return "-" if value is None else f"{value:,.{digits}f}"

    for name, entries in sweep["benchmarks"].items():
        for row in entries:
            ci = row.get("ci95")
            rows.append((name, str(row["value"]), str(row.get("metric") or "-"), number(row.get("accuracy"), 3),
                         f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-", number(row["completion_tokens"]["mean"]),
                         number(row["completion_tokens"]["p95"]), number(row["reasoning_tokens"]["mean"]),
                         "-" if row.get("truncation_rate") is None else f"{row['truncation_rate']:.1%}",
                         money({"total": row["cost"]}) if row.get("cost") is not None else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print(f"\nsweep: {out / 'results.json'} (a run directory per value: {out / (sweep['key'] + '=VALUE')})")


def print_summary(data: dict[str, Any], out: Path) -> None:
    from evalsuite.core.data_info import label_of

    requests = data["run"]["requests"]
    epochs = int(data["run"].get("epochs") or 1)
    # "truncated" beside the headline: a headline of cut-off replies measures the token budget
    rows: list[tuple[str, ...]] = [("benchmark", "data", "n", "metric", "value", "truncated", "95% CI", "flexible",
                                    "no answer", "errors", "tokens/sample", "cost")]
    if epochs > 1:
        rows[0] += (f"pass@{epochs}", f"maj@{epochs}")

    def rate(res: dict[str, Any], name: str) -> str:
        value = res["metrics"].get(name, {}).get("value")
        return "-" if value is None else f"{value:.1%}"

    for name, res in data["benchmarks"].items():
        headline = res.get("headline") or "accuracy"
        metric = res["metrics"].get(headline, {})
        value = metric.get("value")
        ci = metric.get("ci95")
        spread = (res.get("epoch_spread") or {}).get(headline)
        ci_text = "-" if not ci or ci[0] is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"
        if spread and spread.get("sd") is not None:  # aggregate-only: its spread across epochs
            ci_text = f"sd {spread['sd']:.3f} over {epochs} epochs"
        extra: tuple[str, ...] = ()
        if epochs > 1:
            extra = tuple(_value(res["metrics"].get(f"{kind}@{epochs}")) for kind in ("pass", "maj"))
        spent = res.get("accounting") or {}
        per_sample = (spent.get("completion_tokens_per_sample") or {}).get("mean")
        # the headline under the flexible extraction rule (docs/contracts.md#extraction-rule)
        flexible = res["metrics"].get(f"{headline}_flexible", {}).get("value")
        rows.append((
            name,
            label_of(res.get("data")) or "-",
            str(res["n"]),
            headline,
            "-" if value is None else f"{value:.3f}",
            rate(res, "truncation_rate"),
            ci_text,
            "-" if flexible is None else f"{flexible:.3f}",
            rate(res, "extraction_failure_rate"),
            rate(res, "error_rate"),
            "-" if per_sample is None else f"{per_sample:,.0f}",
            money(spent.get("cost")),
            *extra,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    embedded = [name for name, res in data["benchmarks"].items() if (res.get("data") or {}).get("embedded")]
    if embedded:
        print(f"\nembedded teaching sets, not the published benchmarks: {', '.join(embedded)} "
              "(`evalsuite data pull` or --data PATH for those)")
    sessions = data["run"].get("sessions") or []
    now = sessions[-1] if sessions else {"requests": requests, "wall_seconds": data["run"]["wall_seconds"]}
    print(
        f"\nrequests: {now['requests']['sent_to_model']} sent to the model, {now['requests']['from_cache']} from cache, "
        f"{now['requests']['skipped_journal']} already in the journal; {now['wall_seconds']:.1f} s"
        + (f" (run started {data['run']['started']}, {len(sessions)} invocations, "
           f"{data['run']['wall_seconds']:.1f} s in all)" if len(sessions) > 1 else "")
    )
    if epochs > 1:
        print(f"{epochs} replies per item: value = mean over all replies (avg@{epochs}), 95% CI from a bootstrap "
              "over items")
    total = data.get("accounting") or {}
    if total.get("with_usage"):
        print(f"tokens: {total['prompt_tokens']:,} prompt, {total['completion_tokens']:,} completion"
              + (f" ({total['reasoning_tokens']:,} reasoning)" if total.get("reasoning_tokens") is not None else "")
              + (f"; cost {money(total.get('cost'))}" if total.get("cost") else ""))
    print(f"results: {out / 'results.json'}\nsamples: {out / 'samples.jsonl'}")


def _value(entry: dict[str, Any] | None) -> str:
    value = (entry or {}).get("value")
    return "-" if value is None else f"{value:.3f}"


def money(cost: dict[str, Any] | None) -> str:
    return "-" if not cost else f"{cost['total']:.4g}"


def write_report(runs: list[Path], out: Path) -> None:
    try:
        from evalsuite.reports import write_report as render
    except ImportError as exc:
        raise FileNotFoundError(f"HTML reports are not available: {exc}") from None
    path = render(runs, out)
    print(f"report: {path}")


def cmd_report(args: argparse.Namespace) -> int:
    for run in args.runs:
        interrupted = (run / "config.json").is_file() and (run / "samples.jsonl").is_file()
        if not (run / "results.json").exists() and run.suffix != ".json" and not interrupted:
            # an interrupted run (config.json + samples.jsonl) is rendered from its journal, marked partial
            raise FileNotFoundError(f"{run}: no results.json, and no config.json + samples.jsonl of an "
                                    "interrupted run (is it a run directory?)")
    write_report(args.runs, args.out)
    return EXIT_OK


def cmd_gate(args: argparse.Namespace) -> int:
    from evalsuite.files.sweep import is_sweep
    from evalsuite.gate.compare import run_gate

    if is_sweep(args.baseline) or is_sweep(args.candidate):
        from evalsuite.gate.sweep import run_gate_sweep

        return run_gate_sweep(args.baseline, args.candidate, args.policy, args.json)
    return run_gate(args.baseline, args.candidate, args.policy, args.json)


def cmd_compare(args: argparse.Namespace) -> int:
    from evalsuite.files.sweep import is_sweep
    from evalsuite.gate.compare import run_compare

    if is_sweep(args.a) or is_sweep(args.b):
        from evalsuite.gate.sweep import run_compare_sweep

        return run_compare_sweep(args.a, args.b)
    return run_compare(args.a, args.b)


def cmd_merge(args: argparse.Namespace) -> int:
    from evalsuite.engine.merge import merge_runs

    merge_runs(args.runs, args.out)
    print(f"merged {len(args.runs)} runs into {args.out}")
    return EXIT_OK


def cmd_data_list(args: argparse.Namespace) -> int:
    from evalsuite.core.datasets import cli_list

    return cli_list()


def cmd_data_pull(args: argparse.Namespace) -> int:
    from evalsuite.core.datasets import cli_pull

    if (args.url or args.sha256) and len(args.names) > 1:
        print("evalsuite: --url and --sha256 need exactly one data set NAME", file=sys.stderr)
        return EXIT_USAGE
    return max(cli_pull(name, args.url, args.sha256) for name in args.names)


def cmd_export(args: argparse.Namespace) -> int:
    from evalsuite.core.errors import EvalsuiteError

    if args.target == "inspect":
        return cmd_export_inspect(args)
    if args.run_dir is not None or not args.benchmark:
        raise EvalsuiteError(f"export {args.target} takes --benchmark and no RUN_DIR")
    if args.target == "train":
        return cmd_export_train(args)
    from evalsuite.integrations.export_lm_eval import export, task_name

    export(args.benchmark, args.out, data=parse_data(args.data), limit=args.limit, seed=args.seed, options=args.options,
           first=args.first)
    print(
        f"wrote lm-eval tasks to {args.out}; run: lm_eval --include_path {args.out} --tasks {task_name(args.benchmark)} "
        "--apply_chat_template --model local-chat-completions --model_args base_url=URL/chat/completions"
    )
    return EXIT_OK


def cmd_export_inspect(args: argparse.Namespace) -> int:
    from evalsuite.core.errors import EvalsuiteError

    if args.run_dir is None or args.benchmark:
        raise EvalsuiteError("export inspect takes a RUN_DIR (and no --benchmark): evalsuite export inspect RUN_DIR --out run.eval")
    try:
        from evalsuite.integrations.inspect_log import export_run
    except ImportError as exc:
        raise EvalsuiteError(f"inspect-ai is not installed: pip install 'evalsuite[inspect]' ({exc})") from None
    for path in export_run(args.run_dir, args.out):
        print(f"wrote {path}; open it with: inspect view --log-dir {path.parent}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from evalsuite.core.errors import EvalsuiteError

    try:
        from evalsuite.integrations.inspect_log import import_log
    except ImportError as exc:
        raise EvalsuiteError(f"inspect-ai is not installed: pip install 'evalsuite[inspect]' ({exc})") from None
    out = import_log(args.log, args.out or Path("runs") / args.log.stem, overwrite=args.overwrite)
    print(f"wrote run directory {out} (results.json, samples.jsonl, config.json)")
    return EXIT_OK


def cmd_export_train(args: argparse.Namespace) -> int:
    from evalsuite.core.errors import BenchmarkError
    from evalsuite.integrations.export_train import export_train

    if len(args.data) > 1 or any("=" in d for d in args.data):
        raise BenchmarkError("export train: --data takes one file")
    count = export_train(args.benchmark, split=args.split, n=args.n or args.limit, fmt=args.fmt, out=args.out,
                         data=Path(args.data[0]) if args.data else None, seed=args.seed, options=args.options,
                         buckets=args.buckets, lengths=args.lengths, curriculum=args.curriculum)
    print(f"wrote {count} {args.split} rows ({args.fmt}) to {args.out}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from evalsuite.rewards.server import ServerConfig, serve

    if args.grade_timeout <= 0 or args.max_items < 1 or args.max_body < 1 or args.max_concurrency < 1 \
            or args.body_timeout <= 0:
        from evalsuite.core.errors import EvalsuiteError

        raise EvalsuiteError("serve rewards: --grade-timeout, --max-items, --max-body, --max-concurrency and "
                             "--body-timeout must be positive")
    print(f"evalsuite: serving rewards on http://{args.host}:{args.port} (POST /score, POST /get_reward, GET /healthz)",
          file=sys.stderr, flush=True)
    serve(ServerConfig(host=args.host, port=args.port, workers=args.grade_workers or None,
                       timeout_s=args.grade_timeout, max_body=args.max_body, max_items=args.max_items,
                       max_concurrency=args.max_concurrency, cache_size=args.cache_size, benchmark=args.benchmark,
                       body_timeout_s=args.body_timeout))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
