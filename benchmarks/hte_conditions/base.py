"""Shared part of the HTE condition-choice benchmarks: menu, prompt, reply parsing, scoring.

An item is one substrate combination; its menu is the grid of the factors the experiment varied
(e.g. ligand x base x solvent). Each factor option has a short label, the factor's letter and a
number (``L3``); a condition is written with one label per factor joined by ``-`` (``L3-B2-S1``).
Labels are the same for every item of a data file, so "the same conditions" means the same code
across items. Cells of the grid that were not measured for an item are named in its prompt and
are not on its menu.

Reply: up to k conditions, best first, after ``Final Answer:`` (or in answer tags), as codes, as
names (``SPhos, K3PO4, MeOH``; one condition per line or separated by ``;``), or as JSON (a list
of codes / names / objects ``{"ligand": "L3", "base": "K3PO4", ...}``). Conditions beyond k and
repeats are ignored. The answer ends where its block ends (the marker's line and the lines up to
the first blank line): prose after it is not read as further choices. A reply with no answer
marker is read whole for conditions, and that earns flexible credit only (``normalised_yield_flexible``).
A reply naming anything that is not on the item's menu (an unknown label or
name, or an unmeasured cell) is wrong as a whole, with the reason recorded.

Data: ``--data`` names the member's CSV, or a folder holding ``suzuki_miyaura.csv`` /
``buchwald_hartwig.csv`` (or the ``hte_*.csv`` names of the download cache), so one ``--data``
serves the whole family; without it, the file ``evalsuite data pull`` put in the cache.

Scoring: scorers/conditions.py (top-1 hit of a best condition, top-k hit, normalised yield,
regret, percentile). Ties in best yield: every option with exactly the best yield is a best
condition; the oracle answers the k highest yields, ties in menu (code) order.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core.benchmark import BenchmarkBase, take
from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.extraction import FINAL_ANSWER_MARK, FLEXIBLE, extract_answer, last_json, strip_think
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import BenchmarkResult, GenerationSettings, Prediction, Sample, SampleRecord, Score
from evalsuite.scorers import conditions as cond

NONE = "none"
MAX_K = 20
ENTRY_SPLIT = re.compile(r"\s*(?:\n|;)\s*")


@dataclass(frozen=True)
class Factor:
    """One varied factor: its name (``ligand``), label letter (``L``) and options in label order."""

    name: str
    letter: str
    options: tuple[str, ...]

    def label(self, index: int) -> str:
        return f"{self.letter}{index + 1}"


@dataclass
class Item:
    """One substrate combination with the yield of every measured condition code."""

    id: str
    title: str
    lines: list[str]
    yields: dict[str, float]
    shown: dict[str, dict[str, str]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


def code_of(factors: Sequence[Factor], indices: Sequence[int]) -> str:
    return "-".join(f.label(i) for f, i in zip(factors, indices, strict=False))


class HteConditions(BenchmarkBase):
    """Subclasses set ``factors_of`` / ``items`` for their data; everything else is shared."""

    version = "1"
    headline = "normalised_yield"
    group_by = ("electrophile",)
    options = {"k": 3}
    reward = RewardSpec("top1_hit", credit=("normalised_yield",))
    reward_metadata = ("menu", "aliases")  # replies are read against the item's menu
    target_type = dict  # {"yields": {code: %}, ...}
    dataset_name: ClassVar[str] = ""
    reaction: ClassVar[str] = ""
    generation = GenerationSettings(max_tokens=2048)

    def declared_metrics(self) -> tuple[Metric, ...]:
        k = self.option("k")
        described = {
            "top1_hit": proportion("top1_hit", description="the first choice has the best measured yield"),
            cond.hit_name(k): proportion(cond.hit_name(k), description=f"a best-yield option among the first {k}"),
            "normalised_yield": continuous("normalised_yield", worst=0.0, description="yield of the first choice / best yield"),
            "regret": continuous("regret", higher_is_better=False, description="best yield - yield of the first choice (points)"),
            "percentile": continuous("percentile", worst=0.0, description="share of the menu the first choice beats"),
            "yield": continuous("yield", worst=0.0, description="measured yield of the first choice (%)"),
        }
        return tuple(described[name] for name in cond.yield_metric_names(k))

    def validate(self) -> None:
        if not 1 <= self.option("k") <= MAX_K:
            raise BenchmarkError(f"{self.name}: k must be between 1 and {MAX_K}, got {self.option('k')}")

    # -- to implement ---------------------------------------------------------------------
    def load(self, path: Path) -> tuple[list[Factor], list[Item]]:
        raise NotImplementedError

    # -- data -----------------------------------------------------------------------------
    def resolve_data(self, data: Path | None) -> Path:
        if data is not None:
            path = Path(data)
            if path.is_dir():  # one --data for the whole family: a folder holding both files
                stem = self.dataset_name.removeprefix("hte-").replace("-", "_")
                found = [path / f"{stem}.csv", path / f"hte_{stem}.csv"]
                path = next((p for p in found if p.is_file()), found[0])
            if not path.is_file():
                raise BenchmarkError(f"{self.name}: data file not found: {path}")
            return path
        try:
            from evalsuite.core.datasets import cached_path

            cached = cached_path(self.dataset_name)
        except ImportError:
            cached = None
        if cached is None:
            raise BenchmarkError(
                f"{self.name}: no data. Run `evalsuite data pull {self.dataset_name}` "
                "or pass --data PATH to the CSV"
            )
        return Path(cached)

    def data_info(self, data: Path | None) -> DataInfo:
        from evalsuite.core import data_info
        from evalsuite.core.errors import BenchmarkError

        try:
            path = self.resolve_data(data)
        except BenchmarkError:
            return data_info.DataInfo(name=self.dataset_name, source="pulled", unit="reactions")
        return data_info.of_file(path, name=self.dataset_name if data is None else None,
                                 source="pulled" if data is None else "file", unit="reactions")

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        factors, items = self.load(self.resolve_data(data))
        for item in take(items, limit):
            yield self.sample(factors, item)

    def sample(self, factors: Sequence[Factor], item: Item) -> Sample:
        k = self.option("k")
        menu = []
        for factor in factors:
            menu.append(f"{factor.name.capitalize()}:")
            for index, option in enumerate(factor.options):
                shown = item.shown.get(factor.name, {}).get(option, option)
                menu.append(f"  {factor.label(index)}  {shown}")
        total = 1
        for factor in factors:
            total *= len(factor.options)
        missing = [code for code in all_codes(factors) if code not in item.yields]
        grid = f"All {total} combinations were run."
        if missing:
            grid = (
                f"{len(item.yields)} of the {total} combinations were run; these were not and are "
                f"not on the menu: {', '.join(missing)}."
            )
        example = code_of(factors, [0] * len(factors))
        prompt = "\n".join(
            [
                f"{self.reaction}, high-throughput experiment: {item.title}",
                *item.lines,
                "",
                "Choose the reaction conditions that give the highest yield. Pick one option from each list:",
                *menu,
                grid,
                "",
                f"Give up to {k} conditions, best first, one per line, as codes with one label per list "
                f"joined by '-' (like {example}), after the line 'Final Answer:'.",
            ]
        )
        best = cond.best_options(item.yields)
        target = {"yields": item.yields, "best": best, "best_yield": cond.best_yield(item.yields)}
        menus = {f.name: {f.label(i): item.shown.get(f.name, {}).get(o, o) for i, o in enumerate(f.options)}
                 for f in factors}
        aliases = {f.name: {f.label(i): o for i, o in enumerate(f.options)} for f in factors}
        metadata = {**item.metadata, "menu": menus, "aliases": aliases, "menu_size": len(item.yields)}
        return Sample(id=item.id, messages=[{"role": "user", "content": prompt}], target=target, metadata=metadata)

    # -- reply -> prediction -> score ------------------------------------------------------
    def oracle_response(self, sample: Sample) -> str:
        yields = sample.target["yields"]
        ranked = sorted(yields, key=lambda code: -yields[code])[: self.option("k")]
        return "Final Answer:\n" + "\n".join(ranked)

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        found = extract_answer(reply, ("answer-tag", "final-answer", "json"), fallback_whole_reply=True)
        if not found.ok:
            return Prediction.failed(found.failure or "no answer", stage=found.stage)
        answer = found.answer or ""
        parsed = found.parsed_json
        if parsed is None and found.stage != "whole-reply" and answer.lstrip()[:1] in "[{":
            located = last_json(answer)
            parsed = located[1] if located else None
        menu = Menu.of(sample)
        if parsed is not None:
            entries = json_entries(parsed)
            if entries is None:
                return Prediction.failed("invalid: JSON answer is not a list of conditions", stage=found.stage)
        else:
            if found.stage == "final-answer":
                # the extractor keeps only the first line after "Final Answer:"; the ranked list
                # may run on over the lines of its block, and ends there
                answer = text_after_final_answer(reply or "") or answer
            entries = menu.codes_in(answer) or [e for e in ENTRY_SPLIT.split(answer) if e.strip()]
        # no answer marker: the reply's conditions earn flexible credit only (the extraction rule)
        return self.choices(entries, menu, FLEXIBLE if found.stage == "whole-reply" else found.stage)

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        entries = json_entries(value)
        if entries is None:
            return Prediction.failed("invalid: structured prediction is not a list of conditions", stage="structured")
        return self.choices(entries, Menu.of(sample), "structured")

    def choices(self, entries: Sequence[Any], menu: Menu, stage: str | None) -> Prediction:
        codes: list[str] = []
        for entry in entries:
            if len(codes) == self.option("k"):
                break  # conditions beyond the k-th distinct one are not read
            code, problem = menu.resolve(entry)
            if code is None:
                return Prediction.failed(f"not on the menu: {problem}", stage=stage)
            if code not in codes:
                codes.append(code)
        if not codes:
            return Prediction.failed("no answer found", stage=stage)
        return Prediction(value=codes, stage=stage)

    def canonical_answer(self, prediction: Any) -> str:
        """The first-ranked menu code: what maj@K votes on."""
        return str(prediction[0]) if isinstance(prediction, list) and prediction else str(prediction)

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        yields = sample.target["yields"]
        k = self.option("k")
        if not prediction.ok or not isinstance(prediction.value, list):
            return Score(cond.failed_metrics(yields, k), reason=prediction.failure or "no prediction")
        off = [c for c in prediction.value if c not in yields]
        if off:
            return Score(cond.failed_metrics(yields, k), reason=f"not on the menu: {', '.join(map(str, off))}")
        values = cond.choice_metrics(prediction.value, yields, k)
        reason = None if values["top1_hit"] else f"chose {prediction.value[0]} ({yields[prediction.value[0]]:.1f}%), best {cond.best_yield(yields):.1f}%"
        return Score(values, reason=reason)

    # -- aggregate ------------------------------------------------------------------------
    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        result = super().aggregate(records, seed)
        k = self.option("k")
        ordered = sorted(records, key=lambda r: r.id)
        items = [r.target["yields"] for r in ordered if isinstance(r.target, dict) and r.target.get("yields")]
        result.baselines = cond.baselines(items, k)
        best = cond.best_global_option(items)
        if best is not None:
            result.extra["best_global_condition"] = {"code": best, "names": names_of(best, ordered)}
        return result


def all_codes(factors: Sequence[Factor]) -> list[str]:
    codes = [""]
    for factor in factors:
        codes = [f"{c}-{factor.label(i)}" if c else factor.label(i) for c in codes for i in range(len(factor.options))]
    return codes


def in_menu_order(item: Item, factors: Sequence[Factor]) -> Item:
    """Yields in code order, so that listings and tie-breaking are deterministic."""
    order = {code: i for i, code in enumerate(all_codes(factors))}
    item.yields = dict(sorted(item.yields.items(), key=lambda kv: order[kv[0]]))
    return item


def names_of(code: str, records: Sequence[SampleRecord]) -> str:
    aliases = next((r.metadata.get("aliases") for r in records if r.metadata.get("aliases")), None)
    if not aliases:
        return code
    parts = []
    for label, menu in zip(code.split("-"), aliases.values(), strict=False):
        parts.append(menu.get(label, label))
    return ", ".join(parts)


BLANK_LINE = re.compile(r"\n[ \t]*\n")


def text_after_final_answer(reply: str) -> str | None:
    """The block of the last 'Final Answer:' marker outside think blocks: its line and the lines
    after it up to the first blank line (the codes may span several lines; prose after the answer,
    which may name other conditions, is not read as further choices)."""
    text = strip_think(reply)[0]
    marks = list(FINAL_ANSWER_MARK.finditer(text))
    if not marks:
        return None
    after = text[marks[-1].end():].lstrip(" \t")
    if after.startswith("\n"):  # "Final Answer:" alone on its line: the block starts below it
        after = after.lstrip()
    return BLANK_LINE.split(after, 1)[0].strip()


def json_entries(parsed: Any) -> list[Any] | None:
    """The list of conditions in a JSON answer: a list, ``{"conditions": [...]}`` or one object."""
    if isinstance(parsed, dict):
        for key in ("conditions", "choices", "answer", "ranking"):
            if isinstance(parsed.get(key), list):
                return parsed[key]
        return [parsed]
    if isinstance(parsed, list):
        return parsed
    if isinstance(parsed, str):
        return [parsed]
    return None


def normal(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass
class Menu:
    """An item's menu as seen by reply parsing: factor -> label -> accepted names."""

    factors: list[str]
    names: dict[str, dict[str, set[str]]]
    measured: set[str]

    @classmethod
    def of(cls, sample: Sample) -> Menu:
        names: dict[str, dict[str, set[str]]] = {}
        for factor, menu in sample.metadata["menu"].items():
            aliases = sample.metadata.get("aliases", {}).get(factor, {})
            names[factor] = {}
            for label, shown in menu.items():
                accepted = {normal(shown), normal(aliases.get(label, shown))}
                if NONE in accepted:
                    accepted |= {f"no {factor}", f"without {factor}", f"no {factor}s"}
                names[factor][label] = accepted
        return cls(list(names), names, set(sample.target["yields"]))

    @property
    def pattern(self) -> re.Pattern[str]:
        letters = [next(iter(self.names[f]))[0] for f in self.factors]
        parts = [rf"{letter}\s*(\d+)" for letter in letters]
        return re.compile(r"(?<![A-Za-z0-9])" + r"[\s,/+–-]*".join(parts) + r"(?![0-9])", re.IGNORECASE)

    def codes_in(self, text: str) -> list[str]:
        letters = [next(iter(self.names[f]))[0] for f in self.factors]
        return ["-".join(f"{letter}{int(n)}" for letter, n in zip(letters, m.groups(), strict=False)) for m in self.pattern.finditer(text)]

    def resolve(self, entry: Any) -> tuple[str | None, str]:
        """The code of one answered condition, or (None, why it is not on the menu)."""
        if isinstance(entry, dict):
            return self.resolve_object(entry)
        if not isinstance(entry, str):
            return None, f"{entry!r} is not a condition"
        codes = self.codes_in(entry)
        if codes:
            return self.check(codes[0])
        return self.resolve_names(entry)

    def check(self, code: str) -> tuple[str | None, str]:
        for label, factor in zip(code.split("-"), self.factors, strict=False):
            if label not in self.names[factor]:
                return None, f"{code} ({factor} {label} does not exist)"
        if code not in self.measured:
            return None, f"{code} (this combination was not measured)"
        return code, ""

    def resolve_object(self, entry: dict[str, Any]) -> tuple[str | None, str]:
        lowered = {normal(str(k)): v for k, v in entry.items()}
        labels = []
        for factor in self.factors:
            value = lowered.get(factor)
            if not isinstance(value, str):
                return None, f"{entry!r} gives no {factor}"
            label = self.label_of(factor, value)
            if label is None:
                return None, f"{factor} {value!r} is not an option"
            labels.append(label)
        return self.check("-".join(labels))

    def label_of(self, factor: str, value: str) -> str | None:
        wanted = normal(value)
        for label, accepted in self.names[factor].items():
            if wanted == label.lower() or wanted in accepted:
                return label
        return None

    def resolve_names(self, entry: str) -> tuple[str | None, str]:
        """Find one option name per factor in free text; longer names win over names inside them."""
        text = normal(entry)
        found: list[tuple[int, int, int, str, str]] = []  # (-length, start, factor index, factor, label)
        for index, factor in enumerate(self.factors):
            for label, accepted in self.names[factor].items():
                for name in accepted:
                    for m in re.finditer(r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", text):
                        found.append((-(m.end() - m.start()), m.start(), index, factor, label))
        taken: list[tuple[int, int]] = []
        chosen: dict[str, str] = {}
        for neg_len, start, _, factor, label in sorted(found):
            end = start - neg_len
            if factor in chosen or any(start < e and s < end for s, e in taken):
                continue
            chosen[factor] = label
            taken.append((start, end))
        missing = [f for f in self.factors if f not in chosen]
        if missing:
            return None, f"{entry.strip()[:80]!r} names no {' / '.join(missing)} from the menu"
        return self.check("-".join(chosen[f] for f in self.factors))


def csv_rows(path: Path, columns: dict[str, str], required: Sequence[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row under our keys, cells stripped) per data row of an HTE CSV.

    A missing column or an empty required cell raises DataError naming the file and line.
    """
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns.values() if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(path, 1, f"missing column(s) {', '.join(missing)}")
        empty = True
        for raw in reader:
            empty = False
            row = {key: (raw.get(column) or "").strip() for key, column in columns.items()}
            for key in required:
                if not row[key]:
                    raise DataError(path, reader.line_num, f"empty {columns[key]}")
            yield reader.line_num, row
        if empty:
            raise DataError(path, 1, "no data rows")


def parse_yield(path: Path, line: int, text: str, column: str) -> float:
    """A yield in percent, 0-100; anything else is a DataError naming the line."""
    try:
        value = float(text)
    except ValueError:
        raise DataError(path, line, f"{column} {text!r} is not a number") from None
    if not 0.0 <= value <= 100.0:  # also refuses NaN
        raise DataError(path, line, f"{column} {value} is outside 0-100 %")
    return value
