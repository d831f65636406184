"""Read run directories (docs/contracts.md#files-of-a-run-directory): plain records for the gate and reports, DataFrames for notebooks.

A run directory holds ``results.json`` (``{"run": {...}, "benchmarks": {B: BenchmarkResult}}``)
and ``samples.jsonl`` (one ``SampleRecord`` per line). ``read_run`` validates both and names the
file and line of anything broken; pandas is imported only by ``load_run`` / ``load_results``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.core.errors import RunError
from evalsuite.core.types import SampleRecord
from evalsuite.files.journal import problem_of
from evalsuite.files.results import partial_results


@dataclass
class Run:
    """One run directory, read and checked."""

    path: Path
    meta: dict[str, Any]
    """``results.json -> run``: model, started, finished, evalsuite_version, seed, benchmarks ..."""
    benchmarks: dict[str, dict[str, Any]]
    """``results.json -> benchmarks``: name -> ``BenchmarkResult.to_dict()``."""
    records: list[SampleRecord] = field(default_factory=list)
    families: dict[str, Any] = field(default_factory=dict)
    """``results.json -> families``: family name -> its summary (TAIL: classes, overall)."""

    @property
    def model(self) -> str:
        return str(self.meta.get("model", "?"))

    @property
    def partial(self) -> bool:
        """An interrupted run, read from its journal (no results.json): metrics over the samples
        it finished, ``n`` of them per benchmark."""
        return bool(self.meta.get("partial"))

    @property
    def date(self) -> str:
        return str(self.meta.get("finished") or self.meta.get("started") or "")

    @property
    def version(self) -> str:
        return str(self.meta.get("evalsuite_version", ""))

    def config(self, benchmark: str) -> dict[str, Any]:
        """``results.json -> run -> benchmarks -> B``: name, version, options, data_hash, generation."""
        configs = self.meta.get("benchmarks") or {}
        value = configs.get(benchmark) if isinstance(configs, dict) else None
        return value if isinstance(value, dict) else {}

    def records_of(self, benchmark: str) -> list[SampleRecord]:
        return [r for r in self.records if r.benchmark == benchmark]


def read_run(directory: Path | str, *, with_samples: bool = True) -> Run:
    """Read ``DIR/results.json`` and (optionally) ``DIR/samples.jsonl``; raise RunError if broken."""
    path = Path(directory)
    if not path.is_dir():
        raise RunError(f"{path}: not a run directory (it does not exist or is not a folder)")
    results_path = path / "results.json"
    try:
        results = json.loads(results_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not ((path / "samples.jsonl").is_file() and (path / "config.json").is_file()):
            raise RunError(f"{results_path}: missing, and no config.json + samples.jsonl of an interrupted run "
                           f"(is {path} a run directory?)") from None
        results = partial_results(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(f"{results_path}: unreadable: {exc}") from None
    if not isinstance(results, dict) or not isinstance(results.get("run"), dict) \
            or not isinstance(results.get("benchmarks"), dict):
        raise RunError(f"{results_path}: expected an object with 'run' and 'benchmarks' objects")
    for name, result in results["benchmarks"].items():
        if not isinstance(result, dict) or not isinstance(result.get("metrics"), dict):
            raise RunError(f"{results_path}: benchmark {name!r} has no 'metrics' object")
    families = results.get("families")
    run = Run(path=path, meta=results["run"], benchmarks=results["benchmarks"],
              families=families if isinstance(families, dict) else {})
    if with_samples:
        run.records = read_samples(path / "samples.jsonl")
    return run


def read_samples(path: Path) -> list[SampleRecord]:
    records: list[SampleRecord] = []
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise RunError(f"{path}: missing") from None
    except OSError as exc:
        raise RunError(f"{path}: unreadable: {exc}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                break  # a torn last line: the run was killed while writing it (the journal drops it on resume)
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than any record
                raise RunError(f"{path}:{number}: not JSON: {str(exc)[:200] or type(exc).__name__}") from None
            if not isinstance(data, dict):
                raise RunError(f"{path}:{number}: expected a JSON object")
            missing = [key for key in ("benchmark", "id", "scores") if key not in data]
            if missing:
                raise RunError(f"{path}:{number}: missing {', '.join(missing)}")
            if not isinstance(data["scores"], dict):
                raise RunError(f"{path}:{number}: 'scores' must be an object")
            problem = problem_of(data)
            if problem is not None:
                raise RunError(f"{path}:{number}: {problem}")
            data.setdefault("prompt", [])
            data.setdefault("response", None)
            data.setdefault("prediction", None)
            data.setdefault("target", None)
            data.setdefault("extraction", "none")
            data.setdefault("error", None)
            data["id"] = str(data["id"])
            records.append(SampleRecord.from_dict(data))
    return records


def load_run(directory: Path | str):
    """One row per ``samples.jsonl`` line.

    Columns: run, model, benchmark, id, prompt, response, prediction, target, extraction,
    error, reason, prompt_hash, cached, metadata (dict), reasoning, usage (dict), finish_reason,
    latency_s, attempts, then one ``score.<metric>`` column per score name (NaN where the metric
    does not apply), one ``meta.<key>`` column per metadata key and one ``usage.<key>`` column per
    token count (prompt_tokens, completion_tokens, reasoning_tokens) a reply reported.
    """
    import pandas as pd

    run = read_run(directory)
    rows = []
    for record in run.records:
        row = record.to_dict()
        scores = row.pop("scores")
        row = {"run": str(run.path), "model": run.model, **row}
        for name, value in scores.items():
            row[f"score.{name}"] = float("nan") if value is None else value
        for key, value in record.metadata.items():
            row[f"meta.{key}"] = value
        for key, value in (record.usage or {}).items():
            row[f"usage.{key}"] = value
        rows.append(row)
    base = ["run", "model", *SampleRecord.__dataclass_fields__]
    base.remove("scores")
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=base)
    return frame


def load_results(*directories: Path | str | Iterable[Path | str]):
    """Tidy metrics: one row per (run, benchmark, metric). Runs given as paths, lists of paths,
    or both: ``load_results("runs/a", "runs/b")`` or ``load_results(["runs/a", "runs/b"])``.

    Columns: run, model, benchmark, metric, value, ci_lo, ci_hi, n, then headline (bool: the
    benchmark's leaderboard metric), higher_is_better (bool or None when unstated), epochs
    (replies per item, ``--epochs``; 1 for single-reply runs; with epochs > 1 the plain metric
    names are avg@K and the rows include ``pass@k``, ``maj@K`` and ``consistency``) and partial
    (True for an interrupted run, aggregated from its journal; n is then what it finished).
    """
    import pandas as pd

    columns = ["run", "model", "benchmark", "metric", "value", "ci_lo", "ci_hi", "n",
               "headline", "higher_is_better", "epochs", "partial"]
    rows = []
    for directory in _paths(directories):
        run = read_run(directory, with_samples=False)
        for bench, result in run.benchmarks.items():
            directions = result.get("higher_is_better") or {}
            for metric, entry in result["metrics"].items():
                entry = entry if isinstance(entry, dict) else {"value": entry}
                ci = entry.get("ci95") or (None, None)
                rows.append({
                    "run": str(run.path), "model": run.model, "benchmark": bench, "metric": metric,
                    "value": _float(entry.get("value")), "ci_lo": _float(ci[0]), "ci_hi": _float(ci[1]),
                    "n": int(entry.get("n") or result.get("n") or 0),
                    "headline": metric == result.get("headline"),
                    "higher_is_better": directions.get(metric),
                    "epochs": int(result.get("epochs") or 1),
                    "partial": run.partial,
                })
    return pd.DataFrame(rows, columns=columns)


def _paths(items: tuple[Any, ...]) -> list[Path | str]:
    out: list[Path | str] = []
    for item in items:
        if isinstance(item, (str, Path)):
            out.append(item)
        elif isinstance(item, Iterable):
            out += _paths(tuple(item))
        else:
            raise RunError(f"load_results: expected run directories (paths or lists of paths), got {type(item).__name__}")
    return out


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def higher_is_better(result: dict[str, Any], metric: str) -> bool | None:
    """The direction the benchmark declared for ``metric`` (None: a descriptive statistic, or a
    metric an imported file states no direction for)."""
    return (result.get("higher_is_better") or {}).get(metric)
