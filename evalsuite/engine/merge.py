"""``evalsuite merge DIR... --out DIR``: shard run directories -> one run, as if run unsharded.

Shards come from ``evalsuite run --shard I/N`` with the same command otherwise. Merging
1. checks that the directories are all N shards (0..N-1, each once) of one configuration
   (config.json equal except ``shard`` and each benchmark's ``samples`` / ``data_hash``) and
   that each shard finished (it has results.json);
2. regenerates every benchmark's samples once, unsharded, to compute what an unsharded run
   records (sample count, ``data_hash``) and, per shard, the hash that shard must have
   recorded: a shard run on other data or code is refused rather than merged;
3. concatenates the shard journals into ``samples.jsonl`` (refusing a sample id seen twice or a
   missing one) and aggregates it with ``results.aggregate``, the function a plain run uses, so
   the metrics are identical to an unsharded run's.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

from evalsuite.core import registry
from evalsuite.core.errors import RunError
from evalsuite.core.safe_files import replacing
from evalsuite.engine import subset
from evalsuite.engine.rundir import epochs_of, in_shard, sample_digest_text
from evalsuite.files import results
from evalsuite.files.accounting import Prices
from evalsuite.files.journal import SAMPLES, Key, key_of, parse_line

SHARD_ONLY = ("samples", "data_hash")  # per-benchmark fingerprint fields that differ between shards


def merge_runs(runs: list[Path], out: Path) -> dict[str, Any]:
    if not runs:
        raise RunError("merge needs at least one run directory")
    configs = [read_config(run) for run in runs]
    total = check_shards(runs, configs)
    base = comparable(configs[0])
    for run, config in zip(runs[1:], configs[1:], strict=False):
        if comparable(config) != base:
            differs = sorted(k for k in set(base) | set(comparable(config))
                             if base.get(k) != comparable(config).get(k))
            raise RunError(f"{run} was run with another configuration than {runs[0]} "
                           f"(differs in: {', '.join(differs)}); only shards of one run can be merged")
    finished = [results.read_json(run / results.RESULTS) for run in runs]

    merged = copy.deepcopy(configs[0])
    merged["shard"] = None
    benches = {}
    for name, spec in merged["benchmarks"].items():
        bench = registry.create(name, spec.get("options") or {})
        data_path = Path(spec["data"]) if spec.get("data") else None
        count, digest, shard_digests = 0, hashlib.sha256(), [hashlib.sha256() for _ in range(total)]
        for sample in subset.select(bench, data_path, merged["seed"], limit=merged["limit"], first=merged.get("first")):
            text = sample_digest_text(sample)
            count += 1
            digest.update(text)
            shard_digests[shard_of(name, sample.id, total)].update(text)
        for run, config in zip(runs, configs, strict=False):
            index = config["shard"][0]
            if config["benchmarks"][name]["data_hash"] != shard_digests[index].hexdigest()[:16]:
                raise RunError(f"{run}: the samples of {name} differ from those this machine generates for "
                               f"shard {index}/{total} (other data or benchmark code); cannot merge")
        spec["samples"], spec["data_hash"] = count, digest.hexdigest()[:16]
        benches[name] = bench

    out.mkdir(parents=True, exist_ok=True)
    for name in (SAMPLES, results.RESULTS, results.CONFIG):
        if (out / name).exists():
            raise RunError(f"{out} already holds a run ({name}); merge into an empty directory")
    epochs = epochs_of(merged)
    write_journal(runs, out, {name: spec["samples"] * epochs for name, spec in merged["benchmarks"].items()})

    prices = next((done["run"]["prices"] for done in finished if done["run"].get("prices")), None)
    summary = results.aggregate(out, benches, merged["seed"], epochs=epochs,
                                prices=Prices(prices["input_per_million"], prices["output_per_million"]) if prices else None,
                                data={name: Path(spec["data"]) if spec.get("data") else None
                                      for name, spec in merged["benchmarks"].items()})
    requests: dict[str, int] = {}
    for done in finished:
        for key, value in (done["run"].get("requests") or {}).items():
            requests[key] = requests.get(key, 0) + int(value)
    run_info = results.provenance(
        model=merged["model"],
        backend=merged["backend"],
        started=min(done["run"]["started"] for done in finished),
        finished=max(done["run"]["finished"] for done in finished),
        seed=merged["seed"],
        limit=merged["limit"],
        **({"first": merged["first"]} if merged.get("first") is not None else {}),
        shard=None,
        epochs=epochs,
        benchmarks=merged["benchmarks"],
        data_hashes={name: spec["data_hash"] for name, spec in merged["benchmarks"].items()},
        requests=requests,
        wall_seconds=round(sum(float(done["run"].get("wall_seconds") or 0) for done in finished), 3),
        prices=prices,
        merged_from=[{"path": str(run), "shard": config["shard"], "started": done["run"]["started"],
                      "finished": done["run"]["finished"], "evalsuite_version": done["run"].get("evalsuite_version")}
                     for run, config, done in zip(runs, configs, finished, strict=False)],
    )
    summary["accounting"]["wall_seconds"] = run_info["wall_seconds"]
    data = {"run": run_info, **summary}
    results.write_json(out / results.CONFIG, merged)
    results.write_json(out / results.RESULTS, data)
    return data


def read_config(run: Path) -> dict[str, Any]:
    if not (run / results.CONFIG).is_file():
        raise RunError(f"{run}: no {results.CONFIG} (is it an evalsuite run directory?)")
    if not (run / results.RESULTS).is_file():
        raise RunError(f"{run}: no {results.RESULTS}: the shard has not finished; resume it first")
    return results.read_json(run / results.CONFIG)


def check_shards(runs: list[Path], configs: list[dict[str, Any]]) -> int:
    """N, after checking that the runs are shards 0..N-1 of N, each exactly once."""
    unsharded = [str(run) for run, c in zip(runs, configs, strict=True) if not c.get("shard")]
    if unsharded:
        raise RunError(f"not a shard (run without --shard): {', '.join(unsharded)}")
    shards: list[tuple[int, int]] = [(int(c["shard"][0]), int(c["shard"][1])) for c in configs]
    totals = {s[1] for s in shards}
    if len(totals) != 1:
        raise RunError(f"the runs are shards of different splits: {sorted(f'{i}/{n}' for i, n in shards)}")
    total = totals.pop()
    seen: dict[int, Path] = {}
    for run, (index, _) in zip(runs, shards, strict=False):
        if index in seen:
            raise RunError(f"shard {index}/{total} given twice: {seen[index]} and {run}")
        seen[index] = run
    missing = sorted(set(range(total)) - set(seen))
    if missing:
        raise RunError(f"missing shard(s) {', '.join(f'{i}/{total}' for i in missing)}: merge needs all {total}")
    return total


def comparable(config: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint without what legitimately differs between shards of one run."""
    out = {k: v for k, v in config.items() if k != "shard"}
    out["benchmarks"] = {name: {k: v for k, v in spec.items() if k not in SHARD_ONLY}
                         for name, spec in config.get("benchmarks", {}).items()}
    return out


def shard_of(benchmark: str, sample_id: str, total: int) -> int:
    for index in range(total):
        if in_shard(benchmark, sample_id, (index, total)):
            return index
    raise AssertionError("in_shard puts every sample in exactly one shard")


def write_journal(runs: list[Path], out: Path, expected: dict[str, int]) -> None:
    """Concatenate the shard journals line by line (memory: one key per reply, never the lines).
    ``expected``: replies per benchmark (samples x epochs)."""
    seen: set[Key] = set()
    with replacing(out / SAMPLES) as sink:
        for run in runs:
            path = run / SAMPLES
            if not path.exists():
                continue
            with path.open("rb") as source:
                for number, raw in enumerate(source, start=1):
                    record = parse_line(raw)
                    if record is None:
                        raise RunError(f"{path}:{number}: torn or invalid line; resume that shard to repair it")
                    if record.get("benchmark") not in expected:
                        raise RunError(f"{path}:{number}: benchmark {record.get('benchmark')!r} is not in the "
                                       "run's configuration")
                    try:
                        key = key_of(record)
                    except (KeyError, TypeError, ValueError):
                        raise RunError(f"{path}:{number}: a line without a valid id or epoch") from None
                    if key in seen:
                        raise RunError(f"{path}:{number}: sample {key[0]} {key[1]!r} (epoch {key[2]}) appears "
                                       "in more than one line")
                    seen.add(key)
                    sink.write(raw)
        counts: dict[str, int] = {}
        for name, _, _ in seen:
            counts[name] = counts.get(name, 0) + 1
        short = {name: (counts.get(name, 0), n) for name, n in expected.items() if counts.get(name, 0) != n}
        if short:  # raised inside the block: the temporary file is removed, samples.jsonl kept
            detail = ", ".join(f"{name}: {have} of {n}" for name, (have, n) in short.items())
            raise RunError(f"the shards do not hold every sample exactly once ({detail})")
