"""``evalsuite run --sweep KEY=V1,V2,...``: the same items at each value of one generation setting
(a thinking budget ``max_tokens``, ``reasoning_effort``, or any request-body field), into one run
folder with a sub-run per value (``evalsuite.files.sweep`` describes the folder).

Each value is an ordinary run (``Runner``) in ``OUT/KEY=VALUE``: it resumes from its own journal,
and the reply cache is the same for all, so a request identical at two values (a body field the
server ignores, a repeated sweep) is asked once. Every sub-run draws the same samples (same
benchmarks, seed, limit and shard); their data hashes are compared to prove it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from evalsuite.core.errors import RunError
from evalsuite.engine.model_config import GENERATION_TYPES, check_extra_body
from evalsuite.engine.runner import RunConfig, Runner
from evalsuite.files import results
from evalsuite.files.sweep import RESULTS, SWEEP, folder_name, is_sweep, read_sweep, summarise


def overrides_at(config: RunConfig, key: str, value: Any) -> dict[str, Any]:
    """``config.overrides`` with ``key`` set to ``value``: a generation setting, or an extra body field."""
    return with_value(config.overrides, key, value, "a flag or the model config")


def per_benchmark_at(config: RunConfig, key: str, value: Any) -> dict[str, dict[str, Any]]:
    """The model config's per-benchmark overrides with ``key`` set too: a benchmark with an entry
    takes the entry instead of the run's overrides (``model_config.overrides_for``)."""
    return {pattern: with_value(merged, key, value, f"the model config's benchmarks.{pattern}")
            for pattern, merged in config.per_benchmark.items()}


def with_value(overrides: dict[str, Any], key: str, value: Any, where: str) -> dict[str, Any]:
    if key in GENERATION_TYPES:
        types = GENERATION_TYPES[key]
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            raise RunError(f"--sweep {key}: the values must be {names}, not {value!r}")
        if overrides.get(key) is not None:
            raise RunError(f"--sweep {key} and a fixed {key} ({where}) both given: keep one")
        return {**overrides, key: value}
    extra = dict(overrides.get("extra_body") or {})
    if key in extra:
        raise RunError(f"--sweep {key} and a fixed {key} ({where}) both given: keep one")
    check_extra_body({key: value}, f"--sweep {key}")
    return {**overrides, "extra_body": {**extra, key: value}}


def run_sweep(config: RunConfig, key: str, values: list[Any]) -> tuple[dict[str, Any], list[Runner]]:
    """Run every value, then write OUT/sweep.json and OUT/results.json; returns the latter and the runners."""
    out = Path(config.out)
    for value in values:  # every value checked before the first request
        overrides_at(config, key, value)
        per_benchmark_at(config, key, value)
    if out.exists() and any(out.iterdir()) and not is_sweep(out) and not config.overwrite:
        raise RunError(f"{out} holds something other than a sweep; choose another --out (or --overwrite)")
    if is_sweep(out) and read_sweep(out)["key"] != key and not config.overwrite:
        raise RunError(f"{out} is a sweep over {read_sweep(out)['key']}, not {key}; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    description = {"key": key, "values": values, "runs": [folder_name(key, v) for v in values]}
    results.write_json(out / SWEEP, description)
    runners, hashes = [], set()
    for value in values:
        runner = Runner(replace(config, out=out / folder_name(key, value), overrides=overrides_at(config, key, value),
                                per_benchmark=per_benchmark_at(config, key, value)))
        data = runner.run()
        runners.append(runner)
        hashes.add(tuple(sorted((data["run"].get("data_hashes") or {}).items())))
    if len(hashes) > 1:
        raise RunError(f"--sweep {key}: the sub-runs drew different samples; their results are not comparable")
    summary = summarise(out, key, values)
    data = {"run": {"model": config.model, "sweep": description, "seed": config.seed, "limit": config.limit,
                    "epochs": config.epochs}, "sweep": summary}
    results.write_json(out / RESULTS, data)
    return data, runners
