"""Checks that a run's inputs make sense and its outcome can be trusted.

Inputs: ``--limit 0`` or ``--temperature -3`` used to give an empty or meaningless run with exit
0. Each numeric run option has one range here, used by the CLI (argparse types, so the message
names the option) and by ``Runner`` for library callers.

Outcome: a run where nothing answered used to print ``accuracy 0.000`` and exit 0, so a CI job
recorded a score for a dead server. ``error_rate_problem`` turns such a run into a failure
(``docs/contracts.md#cli``): every sample without a reply, or a share above
``--max-error-rate`` (default 0.1), exits 1 with one line saying why; the files are still written.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from evalsuite.core.errors import RunError

DEFAULT_MAX_ERROR_RATE = 0.1


@dataclass(frozen=True)
class Bound:
    """The accepted range of one numeric option (inclusive; None: unbounded)."""

    option: str
    kind: type
    low: float | None
    high: float | None = None
    why: str = ""

    def problem(self, value: Any) -> str | None:
        """None if ``value`` is in range, else what is accepted (without the option's name)."""
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, not {value}"
        too_low = self.low is not None and value < self.low
        too_high = self.high is not None and value > self.high
        if too_low or too_high:
            return f"must be {self.range_text()}, not {value:g}{self.why}"
        return None

    def range_text(self) -> str:
        if self.high is None:
            return f">= {self.low:g}" if self.low != 1 or self.kind is not int else "a positive integer"
        return f"between {self.low:g} and {self.high:g}"

    def argtype(self) -> Callable[[str], Any]:
        """An argparse ``type=``: the parsed value, or an error naming the option and the range."""
        def parse(text: str) -> Any:
            try:
                value = self.kind(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected {'an integer' if self.kind is int else 'a number'}, "
                                                 f"not {text!r}") from None
            problem = self.problem(value)
            if problem:
                raise argparse.ArgumentTypeError(problem)
            return value
        parse.__name__ = self.kind.__name__
        return parse


BOUNDS: Mapping[str, Bound] = {b.option: b for b in (
    Bound("--limit", int, 1, why=" (omit --limit for every sample)"),
    Bound("--max-tokens", int, 1),
    Bound("--temperature", float, 0.0, 2.0, " (the OpenAI API's range)"),
    Bound("--max-concurrency", int, 1, 4096),
    Bound("--timeout", float, 0.001),
    Bound("--max-retries", int, 0, 100),
    Bound("--max-reply-bytes", int, 1024),
    Bound("--retry-base-delay", float, 0.0, 600.0),
    Bound("--max-error-rate", float, 0.0, 1.0),
    Bound("--epochs", int, 1, 1024),
)}

CONFIG_FIELDS = {"--limit": "limit", "--max-concurrency": "max_concurrency", "--timeout": "timeout_s",
                 "--max-retries": "max_retries", "--retry-base-delay": "retry_base_delay_s",
                 "--max-error-rate": "max_error_rate", "--epochs": "epochs"}
OVERRIDES = {"--max-tokens": "max_tokens", "--temperature": "temperature"}


def argtype(option: str) -> Callable[[str], Any]:
    return BOUNDS[option].argtype()


def validate_config(config: Any) -> None:
    """The same ranges for a ``RunConfig`` built in Python: RunError naming the field."""
    values = {opt: getattr(config, name, None) for opt, name in CONFIG_FIELDS.items()}
    values |= {opt: (config.overrides or {}).get(name) for opt, name in OVERRIDES.items()}
    for option, value in values.items():
        problem = None if value is None else BOUNDS[option].problem(value)
        if problem:
            raise RunError(f"{option} {problem}")


def error_rate_problem(data: Mapping[str, Any], max_error_rate: float, first_error: str | None = None) -> str | None:
    """One line saying why a finished run is not to be trusted, or None when it is."""
    errors = total = 0
    for result in data.get("benchmarks", {}).values():
        entry = result.get("metrics", {}).get("error_rate") or {}
        n, value = entry.get("n") or result.get("n") or 0, entry.get("value")
        if value is not None and n:
            errors += round(value * n)
            total += n
    if not total or (errors < total and errors / total <= max_error_rate):
        return None
    what = "every sample failed" if errors == total else f"error rate {errors / total:.1%} exceeds --max-error-rate {max_error_rate:g}"
    detail = f"; first error: {first_error[:300]}" if first_error else ""
    return f"{what} ({errors} of {total} samples got no reply; results are written but not to be trusted){detail}"
