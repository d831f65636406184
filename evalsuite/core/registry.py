"""Find benchmarks through the entry-point group ``evalsuite.benchmarks``.

The engine never imports a benchmark module until a benchmark of it is asked for (or listed),
so ``evalsuite --help`` stays fast and a broken third-party plug-in cannot break the others.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass
class _State:
    benchmarks: dict[str, Entry] = field(default_factory=dict)
    families: dict[str, list[str]] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)
    family_list: list[Family] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)
    complete: bool = False


_state = _State()


@cache
def _points() -> dict[str, Any]:
    """The group's entry points by name (reading metadata only: nothing imported yet)."""
    return {ep.name: ep for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name)}


def _load(ep: Any) -> None:
    """Import one entry point and register what it holds (once)."""
    if ep.name in _state.loaded:
        return
    _state.loaded.add(ep.name)
    try:
        obj = ep.load()
    except Exception as exc:  # noqa: BLE001 - a broken plug-in is reported, not fatal
        _state.broken[ep.name] = f"{type(exc).__name__}: {exc}"
        return
    if isinstance(obj, Family):
        _state.family_list.append(obj)
        _state.family_list.sort(key=lambda f: f.name)
        _state.families[obj.name] = []
        for member, factory in obj.members.items():
            full = f"{obj.name}/{member}"
            _state.benchmarks[full] = Entry(full, factory.description, factory)
            _state.families[obj.name].append(full)
    elif isinstance(obj, type) and issubclass(obj, BenchmarkBase):
        _state.benchmarks[ep.name] = Entry(ep.name, obj.description, obj)
    else:
        _state.broken[ep.name] = f"entry point value is {type(obj).__name__}, not a benchmark class or Family"


def _load_for(name: str) -> None:
    """Import only the entry point that can hold ``name`` (itself, or its family): a run of one
    TAIL task does not import the chemistry and materials benchmarks (a quarter of a second of
    start-up, bench/throughput.py). Anything else it names is found by ``_loaded``."""
    points = _points()
    for key in (name, name.split("/", 1)[0]):
        if key in points:
            _load(points[key])


def _loaded() -> tuple[dict[str, Entry], dict[str, list[str]], dict[str, str], list[Family]]:
    """(benchmarks by name, family -> member names, entry points that failed to load, families),
    every entry point imported."""
    if not _state.complete:
        for ep in _points().values():
            _load(ep)
        _state.complete = True
    return _state.benchmarks, _state.families, _state.broken, _state.family_list


def families_of(names: list[str]) -> list[Family]:
    """The families that hold any of ``names``, importing only their entry points."""
    for name in names:
        _load_for(name)
    return [f for f in _state.family_list if any(n.startswith(f.name + "/") for n in names)]


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
    for name in names:
        _load_for(name.strip())
    known, fams = _state.benchmarks, _state.families
    if not all(n.strip() in known or n.strip() in fams for n in names if n.strip()):
        known, fams, _, _ = _loaded()  # a name no entry point is called by: look everywhere
    failed = _state.broken
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
    _load_for(name)
    entry = _state.benchmarks.get(name) or benchmarks().get(name)
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
    for name in selected:
        _load_for(name)
    known = _state.benchmarks if all(name in _state.benchmarks for name in selected) else benchmarks()
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
            and key in known[name].factory.options
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
