"""Find benchmarks through the entry-point group ``evalsuite.benchmarks``.

The engine never imports a benchmark module until a benchmark of it is asked for (or listed),
so ``evalsuite --help`` stays fast and a broken third-party plug-in cannot break the others.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from evalsuite.core.benchmark import Benchmark, BenchmarkBase, Family
from evalsuite.core.errors import BenchmarkError

GROUP = "evalsuite.benchmarks"


@dataclass(frozen=True)
class Entry:
    name: str
    description: str
    factory: type[BenchmarkBase]


@cache
def _loaded() -> tuple[dict[str, Entry], dict[str, list[str]], dict[str, str], list[Family]]:
    """(benchmarks by name, family -> member names, entry points that failed to load, families)."""
    family_list: list[Family] = []
    benchmarks: dict[str, Entry] = {}
    families: dict[str, list[str]] = {}
    broken: dict[str, str] = {}
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plug-in is reported, not fatal
            broken[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        if isinstance(obj, Family):
            family_list.append(obj)
            families[obj.name] = []
            for member, factory in obj.members.items():
                full = f"{obj.name}/{member}"
                benchmarks[full] = Entry(full, factory.description, factory)
                families[obj.name].append(full)
        elif isinstance(obj, type) and issubclass(obj, BenchmarkBase):
            benchmarks[ep.name] = Entry(ep.name, obj.description, obj)
        else:
            broken[ep.name] = f"entry point value is {type(obj).__name__}, not a benchmark class or Family"
    return benchmarks, families, broken, family_list


def family_objects() -> list[Family]:
    return _loaded()[3]


def benchmarks() -> dict[str, Entry]:
    return _loaded()[0]


def families() -> dict[str, list[str]]:
    return _loaded()[1]


def broken() -> dict[str, str]:
    return _loaded()[2]


def expand(names: list[str]) -> list[str]:
    """Family names become their members; order is kept, duplicates dropped."""
    known, fams, failed, _ = _loaded()
    out: list[str] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if name in fams:
            members = fams[name]
        elif name in known:
            members = [name]
        else:
            family = name.split("/", 1)[0]
            if family in failed or name in failed:
                raise BenchmarkError(f"benchmark {name!r} failed to load: {failed.get(family) or failed[name]}")
            raise BenchmarkError(f"unknown benchmark {name!r}; `evalsuite list` shows the known ones")
        out.extend(m for m in members if m not in out)
    return out


def create(name: str, options: Mapping[str, Any] | None = None) -> Benchmark:
    entry = benchmarks().get(name)
    if entry is None:
        expand([name])  # raises the helpful message
        raise BenchmarkError(f"{name!r} is a family; pick one of its members")
    bench = entry.factory(options or {})
    # a class may be registered under another name by a plug-in: the instance takes it
    bench.name = name  # type: ignore[misc]
    return bench


def split_options(raw: list[str], selected: list[str]) -> dict[str, dict[str, str]]:
    """``--set k=v`` applies to every selected benchmark that declares k; ``--set B:k=v`` to B only.

    An option no selected benchmark declares is an error, so a typo never passes silently.
    """
    per_bench: dict[str, dict[str, str]] = {name: {} for name in selected}
    for item in raw:
        if "=" not in item:
            raise BenchmarkError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        scope = None
        if ":" in key:
            scope, key = key.rsplit(":", 1)
        targets = [
            name
            for name in selected
            if (scope is None or name == scope or name.startswith(scope + "/"))
            and key in benchmarks()[name].factory.options
        ]
        if not targets:
            raise BenchmarkError(f"--set {item}: no selected benchmark has an option {key!r}")
        for name in targets:
            per_bench[name][key] = value
    return per_bench


def warn_broken() -> None:
    for name, problem in broken().items():
        print(f"evalsuite: benchmark plug-in {name!r} could not be loaded: {problem}", file=sys.stderr)


def options_key(options: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(options or {}), sort_keys=True, default=str)


@functools.lru_cache(maxsize=256)
def cached_benchmark(name: str, options_json: str) -> Benchmark:
    """The benchmark ``name`` with the options of ``options_key``, made once per process (graders and pool workers)."""
    return create(name, json.loads(options_json))
