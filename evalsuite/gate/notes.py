"""What the gate says about runs it can compare but that were not made alike.

Generation settings (temperature, max_tokens, stop sequences, ...) may differ between a
baseline and a candidate on purpose (that is what a PR may change), so they never make runs
incomparable; but a verdict between a run at temperature 0 and one at 0.7 is about the setting
as much as the model, and the reader must be told.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from evalsuite.files.frames import Run


def generation_notes(base: Run, cand: Run, benchmarks: Sequence[str]) -> list[str]:
    """One note per generation setting that differs, naming the benchmarks it differs in."""
    by_setting: dict[tuple[str, str, str], list[str]] = {}
    for name in benchmarks:
        old = base.config(name).get("generation") or {}
        new = cand.config(name).get("generation") or {}
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                by_setting.setdefault((key, shown(old.get(key)), shown(new.get(key))), []).append(name)
    notes = []
    for (key, old_value, new_value), names in by_setting.items():
        where = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        notes.append(f"generation setting {key} differs: baseline {old_value}, candidate {new_value} ({where}); "
                     "the verdict compares the settings as well as the models")
    return notes


def shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
