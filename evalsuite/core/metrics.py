"""Metric declarations: what a benchmark's numbers mean, said once where the benchmark is defined.

Every consumer (per-sample failure values in grading, aggregation and its CI method, the gate,
``compare``, ``frames``, the report, the lm-eval export) reads these declarations; nothing infers a
metric's direction or kind from its name or from the values that happen to be present.

- ``kind`` chooses the 95% CI: ``proportion`` (per sample 0 or 1) gets a Wilson interval,
  ``continuous`` and ``count`` a bootstrap.
- ``higher_is_better``: True or False; None for a descriptive statistic (prevalence, n_steps)
  that is reported but never gated or ranked.
- ``per_sample``: the metric is a per-sample score averaged over samples; False for a metric
  that only ``aggregate`` computes from all samples (F1, DAF).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

Kind = Literal["proportion", "continuous", "count"]
KINDS: tuple[str, ...] = ("proportion", "continuous", "count")


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    kind: Kind = "proportion"
    higher_is_better: bool | None = True
    per_sample: bool = True
    description: str = ""
    worst: float | None = None
    """What a sample whose extractor or scorer raised records, for a continuous metric with a
    natural floor (a Tanimoto or a normalised yield: 0); proportions need none (0, or 1 where
    lower is better)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"metric {self.name}: kind {self.kind!r} is not one of {', '.join(KINDS)}")

    @property
    def descriptive(self) -> bool:
        """Reported, never gated nor ranked."""
        return self.higher_is_better is None

    @property
    def failure_value(self) -> float | None:
        """What a sample whose extractor or scorer raised records: the worst value of a
        proportion (0, or 1 where lower is better); None (no value) otherwise, so the sample
        counts as a miss only where a value can be assigned."""
        if not self.per_sample or self.descriptive:
            return None
        if self.kind != "proportion":
            return self.worst
        return 0.0 if self.higher_is_better else 1.0

    def renamed(self, name: str) -> Metric:
        return replace(self, name=name)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "higher_is_better": self.higher_is_better, "per_sample": self.per_sample}


def proportion(name: str, *, higher_is_better: bool | None = True, description: str = "") -> Metric:
    return Metric(name, "proportion", higher_is_better, True, description)


def continuous(name: str, *, higher_is_better: bool | None = True, per_sample: bool = True,
               description: str = "", worst: float | None = None) -> Metric:
    return Metric(name, "continuous", higher_is_better, per_sample, description, worst)


def aggregate_only(name: str, *, kind: Kind = "continuous", higher_is_better: bool | None = True,
                   description: str = "") -> Metric:
    return Metric(name, kind, higher_is_better, False, description)


def descriptive(name: str, *, kind: Kind = "continuous", per_sample: bool = False, description: str = "") -> Metric:
    return Metric(name, kind, None, per_sample, description)


# The engine's own per-sample outcomes, declared once for every benchmark.
EXTRACTION_FAILURE_RATE = Metric("extraction_failure_rate", "proportion", False, False,
                                 "share of replies whose answer could not be extracted "
                                 "(refusals and truncated replies excluded)")
REFUSAL_RATE = Metric("refusal_rate", "proportion", False, False, "share of replies that refused")
ERROR_RATE = Metric("error_rate", "proportion", False, False, "share of samples with no reply (backend error)")
TRUNCATION_RATE = Metric("truncation_rate", "proportion", False, False,
                         "share of replies cut off before their answer (finish_reason length, an unclosed "
                         "think block, or reasoning without content)")
ENGINE_METRICS: tuple[Metric, ...] = (EXTRACTION_FAILURE_RATE, REFUSAL_RATE, ERROR_RATE, TRUNCATION_RATE)

# Derived names the engine computes from a declared metric (see ``MetricSet.get``).
_DERIVED = re.compile(r"^(?P<base>.+)_flexible$")
# Repeated sampling (--epochs K, evalsuite.stats.repeated): pass@k / maj@K of the headline, or of a
# named metric as ``<metric>_pass@k`` / ``<metric>_maj@K``; consistency of the answers.
_REPEATED = re.compile(r"^(?:(?P<base>.+)_)?(?P<kind>pass|maj)@(?P<k>[1-9][0-9]*)$")
# G-Pass@k at a threshold and mG-Pass@k of the headline (Liu et al. 2024; evalsuite.stats.repeated).
_G_PASS = re.compile(r"^(?P<kind>m?G-Pass)@(?P<k>[1-9][0-9]*)(?:_(?P<tau>[01]\.[0-9]+))?$")
CONSISTENCY = Metric("consistency", "proportion", None, False,
                     "share of items whose --epochs replies all give the same answer")


class UndeclaredMetric(KeyError):
    """A results.json or aggregate names a metric its benchmark does not declare."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "undeclared metric"


class MetricSet(Mapping[str, Metric]):
    """A benchmark's declared metrics by name, engine metrics included, in declaration order."""

    def __init__(self, metrics: Iterable[Metric], *, engine: bool = True, headline: str | None = None):
        self.headline = headline
        self._by_name: dict[str, Metric] = {}
        for metric in (*metrics, *(ENGINE_METRICS if engine else ())):
            if metric.name in self._by_name and self._by_name[metric.name] != metric:
                raise ValueError(f"metric {metric.name} declared twice, differently")
            self._by_name[metric.name] = metric

    def __getitem__(self, name: str) -> Metric:
        found = self.get(name)
        if found is None:
            raise UndeclaredMetric(f"metric {name!r} is not declared (declared: {', '.join(self._by_name)})")
        return found

    def get(self, name: str, default: Any = None) -> Any:
        found = self._by_name.get(name)
        if found is not None:
            return found
        derived = _DERIVED.match(name)
        if derived and derived.group("base") in self._by_name:
            return self._by_name[derived.group("base")].renamed(name)
        repeated = _REPEATED.match(name)
        if repeated:
            base = self._by_name.get(repeated.group("base") or self.headline or "")
            if base is not None:
                if repeated.group("kind") == "pass":  # a mean of per-item estimates in [0, 1]
                    return replace(base, name=name, kind="continuous", higher_is_better=True, per_sample=False,
                                   description=f"pass@{repeated.group('k')} of {base.name} (Chen et al. 2021)")
                return replace(base, name=name, per_sample=False,
                               description=f"{base.name} of the majority answer of {repeated.group('k')} replies")
        g_pass = _G_PASS.match(name)
        if g_pass and self.headline in self._by_name:
            base = self._by_name[self.headline]
            what = (f"G-Pass@{g_pass.group('k')} at threshold {g_pass.group('tau')}" if g_pass.group("tau")
                    else f"mG-Pass@{g_pass.group('k')}")
            return replace(base, name=name, kind="continuous", higher_is_better=True, per_sample=False,
                           description=f"{what} of {base.name} (Liu et al. 2024, arXiv 2412.13147)")
        if name == CONSISTENCY.name:
            return CONSISTENCY
        return default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def per_sample(self) -> list[Metric]:
        return [m for m in self._by_name.values() if m.per_sample and m not in ENGINE_METRICS]

    def failure_scores(self) -> dict[str, float | None]:
        """The scores of a sample whose extractor or scorer raised: every declared per-sample
        metric recorded as a failure."""
        return {m.name: m.failure_value for m in self.per_sample}

    def directions(self, names: Iterable[str]) -> dict[str, bool | None]:
        return {name: self[name].higher_is_better for name in names}

    def kinds(self, names: Iterable[str]) -> dict[str, str]:
        return {name: self[name].kind for name in names}

    def check(self, names: Iterable[str], where: str) -> None:
        missing = [name for name in names if name not in self]
        if missing:
            raise UndeclaredMetric(f"{where}: undeclared metric(s) {', '.join(missing)}")


# -- reading the declarations back from a results.json benchmark entry ----------------------

def direction_of(result: Mapping[str, Any], metric: str) -> bool | None:
    """The declared direction of ``metric`` (None: descriptive). Raises UndeclaredMetric where the
    entry does not declare it (a results.json written before declarations existed included)."""
    directions = result.get("higher_is_better") or {}
    if metric not in directions:
        raise UndeclaredMetric(f"metric {metric!r} has no declared direction in this results.json")
    value = directions[metric]
    return None if value is None else bool(value)


def kind_of(result: Mapping[str, Any], metric: str) -> str:
    kinds = result.get("kinds") or {}
    if metric not in kinds:
        raise UndeclaredMetric(f"metric {metric!r} has no declared kind in this results.json")
    return str(kinds[metric])


def is_per_sample(result: Mapping[str, Any], metric: str) -> bool:
    """Whether ``metric`` is a per-sample score (else only the benchmark's aggregate computes it)."""
    kind_of(result, metric)  # declared at all
    return metric in (result.get("per_sample") or ())
