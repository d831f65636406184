"""Named suites: ``--benchmark @NAME`` runs a published set of benchmarks with its options.

A suite is data, one YAML file per suite in ``evalsuite/engine/suites/`` (read with
``yaml.safe_load``): ``description``, ``source``, ``benchmarks`` (benchmark or family names),
``options`` (``--set`` items applied before the command line's, so a flag still wins) and
``published`` (the key of its reference rows, ``evalsuite.reports.published``). ``evalsuite list
--suites`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from evalsuite.core.errors import RunError

KEYS = ("description", "source", "benchmarks", "options", "published")


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    source: str
    benchmarks: tuple[str, ...]
    options: tuple[str, ...] = ()
    published: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def names() -> list[str]:
    folder = files("evalsuite.engine") / "suites"
    return sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir() if entry.name.endswith(".yaml"))


def load(name: str) -> Suite:
    import yaml

    if name not in names():
        raise RunError(f"unknown suite @{name}; `evalsuite list --suites` shows the known ones")
    text = (files("evalsuite.engine") / "suites" / f"{name}.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict) or set(raw) - set(KEYS) or not isinstance(raw.get("benchmarks"), list):
        raise RunError(f"suite @{name}: expected a mapping of {', '.join(KEYS)} with a list of benchmarks")
    return Suite(name=name, description=str(raw.get("description") or ""), source=str(raw.get("source") or ""),
                 benchmarks=tuple(str(b) for b in raw["benchmarks"]),
                 options=tuple(str(o) for o in raw.get("options") or ()), published=raw.get("published"))


def expand(benchmarks: list[str], options: list[str]) -> tuple[list[str], list[str], list[Suite]]:
    """``@NAME`` entries replaced by their suites' benchmarks; the suites' options go first."""
    out: list[str] = []
    suite_options: list[str] = []
    used: list[Suite] = []
    for item in benchmarks:
        item = item.strip()
        if item.startswith("@"):
            suite = load(item[1:])
            used.append(suite)
            out += [b for b in suite.benchmarks if b not in out]
            suite_options += list(suite.options)
        elif item and item not in out:
            out.append(item)
    return out, [*suite_options, *options], used
