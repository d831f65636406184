"""The gate's policy file (YAML, ``yaml.safe_load``): significance level, margin, seed,
resamples and guards; the format is in docs/contracts.md#gate-policy."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from evalsuite.core.errors import GateError

DEFAULT_ALPHA = 0.05
DEFAULT_MARGIN = 0.02
DEFAULT_RESAMPLES = 2000
NOT_COMPARED = {"generation", "data", "samples"}  # may differ between comparable runs


@dataclass
class Guard:
    benchmark: str
    metric: str | None = None
    direction: str | None = None
    margin: float | None = None


@dataclass
class Policy:
    alpha: float = DEFAULT_ALPHA
    margin: float = DEFAULT_MARGIN
    seed: int = 0
    resamples: int = DEFAULT_RESAMPLES
    guards: list[Guard] = field(default_factory=list)


def load_policy(path: Path | None) -> Policy:
    if path is None:
        return Policy()
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GateError([f"policy {path}: unreadable: {exc}"]) from None
    data = {} if data is None else data
    where = f"policy {path}"
    if not isinstance(data, dict):
        raise GateError([f"{where}: expected a mapping at the top level"])
    unknown = set(data) - {"alpha", "margin", "seed", "resamples", "guards"}
    if unknown:
        raise GateError([f"{where}: unknown keys {sorted(map(str, unknown))} (known: alpha, margin, seed, "
                         "resamples, guards)"])
    policy = Policy(
        alpha=_number(data, "alpha", DEFAULT_ALPHA, where, 0.0, 1.0),
        margin=_number(data, "margin", DEFAULT_MARGIN, where, 0.0, math.inf),
        seed=int(_number(data, "seed", 0, where, 0, math.inf)),
        resamples=int(_number(data, "resamples", DEFAULT_RESAMPLES, where, 1, 10**6)),
    )
    guards = data.get("guards", [])
    if not isinstance(guards, list):
        raise GateError([f"{where}: 'guards' must be a list"])
    for number, item in enumerate(guards, start=1):
        at = f"{where}: guards[{number}]"
        if isinstance(item, str):
            item = {"benchmark": item}
        if not isinstance(item, dict) or not isinstance(item.get("benchmark"), str):
            raise GateError([f"{at}: needs a 'benchmark' name or pattern"])
        unknown = set(item) - {"benchmark", "metric", "direction", "margin"}
        if unknown:
            raise GateError([f"{at}: unknown keys {sorted(map(str, unknown))} (alpha is family-wise: set it "
                             "at the top level)" if "alpha" in unknown else
                             f"{at}: unknown keys {sorted(map(str, unknown))}"])
        direction = item.get("direction")
        if direction not in (None, "higher", "lower"):
            raise GateError([f"{at}: direction must be 'higher' or 'lower', not {direction!r}"])
        metric = item.get("metric")
        if metric is not None and not isinstance(metric, str):
            raise GateError([f"{at}: metric must be a name"])
        margin = _number(item, "margin", None, at, 0.0, math.inf)
        policy.guards.append(Guard(item["benchmark"], metric, direction, margin))
    return policy


def _number(data: dict, key: str, default, where: str, lo: float, hi: float):
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise GateError([f"{where}: {key} must be a number in [{lo}, {hi}], not {value!r}"])
    return value
