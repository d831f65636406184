"""lm-evaluation-harness results files as extra leaderboard rows, labelled as imported.

``lm_eval --output_path P`` writes ``results_<date>.json``: ``results`` (task -> ``"metric,filter"``
values and ``"metric_stderr,filter"``), ``n-samples`` (task -> effective n),
``higher_is_better``, ``configs`` (task -> its YAML config), ``model_name``, ``model_source``,
``lm_eval_version``, ``date`` (Unix time). ``read_lm_eval`` turns one into a ``Run`` with no
samples:

- a task exported by ``evalsuite export lm-eval`` (its config metadata names
  ``evalsuite_benchmark``) lands in that benchmark's column, beside evalsuite's own runs;
  any other task (or group) becomes the column ``lm-eval/<task>``;
- metric ``m`` with filter ``none`` is ``m``; another filter ``f`` gives ``m [f]``; repeated
  sampling keeps evalsuite's names: a ``pass@k`` metric is ``pass@k`` (its first filter), the
  headline under a ``maj@K`` filter (self-consistency tasks) is ``maj@K``, another metric
  ``m_maj@K``, and a task config's ``repeats`` is the benchmark's ``epochs``;
- the 95% CI is value ± 1.96 x lm-eval's standard error (the normal approximation lm-eval's
  stderr stands for), absent when lm-eval reports none;
- the run's model is ``model_name`` (``model_source``); model args are not shown (they may
  carry credentials). ``meta["imported"]`` says where the row came from.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalsuite.files.frames import Run, RunError, read_run

Z95 = 1.959963984540054
PASS_AT = re.compile(r"^pass@[1-9][0-9]*$")
MAJ_AT = re.compile(r"^maj@[1-9][0-9]*$")


def read_input(path: Path | str) -> Run:
    """A run directory, an evalsuite ``results.json``, or an lm-eval results JSON file."""
    path = Path(path)
    if path.is_dir():
        return read_run(path)
    if path.suffix != ".json":
        raise RunError(f"{path}: not a run directory or a .json results file")
    data = load_json(path)
    if isinstance(data.get("run"), dict) and isinstance(data.get("benchmarks"), dict):
        return read_run(path.parent)  # evalsuite's own results.json: read its run directory
    return lm_eval_run(path, data)


def load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(f"{path}: unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: expected a JSON object")
    return data


def lm_eval_run(path: Path, data: dict[str, Any]) -> Run:
    results = data.get("results")
    if not isinstance(results, dict) or not results:
        raise RunError(f"{path}: neither an evalsuite results.json nor an lm-eval results file "
                       "(no 'results' object with tasks)")
    configs: dict[str, Any] = data["configs"] if isinstance(data.get("configs"), dict) else {}
    n_samples: dict[str, Any] = data["n-samples"] if isinstance(data.get("n-samples"), dict) else {}
    directions: dict[str, Any] = data["higher_is_better"] if isinstance(data.get("higher_is_better"), dict) else {}
    benchmarks: dict[str, dict[str, Any]] = {}
    for task, values in results.items():
        if not isinstance(values, dict):
            raise RunError(f"{path}: results -> {task} is not an object")
        meta = (configs.get(task) or {}).get("metadata") or {}
        own = meta.get("evalsuite_benchmark") if isinstance(meta, dict) else None
        name = own if isinstance(own, str) and own else f"lm-eval/{task}"
        n = (n_samples.get(task) or {}).get("effective") if isinstance(n_samples.get(task), dict) else None
        if n is None and isinstance(values.get("sample_len"), int):
            n = values["sample_len"]
        metrics, higher = task_metrics(values, directions.get(task) or {}, n)
        if not metrics:
            continue
        headline = meta.get("headline") if isinstance(meta, dict) else None
        headline = headline if headline in metrics else next(iter(metrics))
        base = re.sub(r"(_maj@[0-9]+| \[.*\])$", "", headline)  # the headline's metric, any filter
        for metric in [m for m in metrics if MAJ_AT.match(m.removeprefix(f"{base}_"))]:
            plain = metric.removeprefix(f"{base}_")
            metrics[plain] = metrics.pop(metric)
            if metric in higher:
                higher[plain] = higher.pop(metric)
            headline = plain if headline == metric else headline
        task_config = configs.get(task) if configs else None
        repeats = task_config.get("repeats") if isinstance(task_config, dict) else None
        benchmarks[name] = {
            "n": n,
            "headline": headline,
            "metrics": metrics,
            "higher_is_better": higher,
            "groups": {},
            "baselines": {},
            "imported_task": task,
            **({"epochs": repeats} if isinstance(repeats, int) and repeats > 1 else {}),
        }
    if not benchmarks:
        raise RunError(f"{path}: lm-eval results file without any numeric metric")
    version = str(data.get("lm_eval_version") or "")
    model = str(data.get("model_name") or (data.get("config") or {}).get("model") or "?")
    source = data.get("model_source")
    meta = {
        "model": f"{model} ({source})" if source and source != model else model,
        "finished": when(data.get("date")),
        "evalsuite_version": "",
        "seed": (data.get("config") or {}).get("random_seed", ""),
        "imported": f"lm-eval {version}".strip(),
    }
    return Run(path=path, meta=meta, benchmarks=benchmarks, records=[])


def task_metrics(values: dict[str, Any], directions: dict[str, Any], n: int | None
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, bool]]:
    metrics: dict[str, dict[str, Any]] = {}
    higher: dict[str, bool] = {}
    for key, value in values.items():
        metric, sep, filt = key.partition(",")
        if not sep or metric.endswith("_stderr") or not is_number(value):
            continue
        name = metric if filt == "none" else f"{metric} [{filt}]"
        if MAJ_AT.match(filt):
            name = f"{metric}_{filt}"
        elif PASS_AT.match(metric) and metric not in metrics:
            name = metric
        stderr = values.get(f"{metric}_stderr,{filt}")
        ci = None
        if stderr is not None and is_number(stderr):
            ci = [float(value) - Z95 * float(stderr), float(value) + Z95 * float(stderr)]
        metrics[name] = {"value": float(value), "ci95": ci, "n": n}
        if isinstance(directions.get(metric), bool):
            higher[name] = directions[metric]
    return metrics, higher


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def when(value: Any) -> str:
    if is_number(value):
        return datetime.fromtimestamp(float(value), tz=UTC).isoformat(timespec="seconds")
    return str(value or "")
