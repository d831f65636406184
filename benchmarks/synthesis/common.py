"""Reactions for the synthesis benchmarks, and the grading plumbing both of them share.

Data layouts read (the header decides which):

- USPTO-50K (``--data``, or the file ``evalsuite data pull uspto50k`` cached): columns ``id``
  (patent number, NOT unique), ``class`` (1-10) and ``reactants>reagents>production`` (atom-mapped
  reaction SMILES). Sample id = ``{row:05d}-{patent}``, row being the 0-based index of the data
  row in the file (header excluded): stable for a given file and unique within it.
- The embedded set (``reactions.csv`` beside this module; 38 textbook reactions written for
  evalsuite): columns ``id``, ``reaction_class``, ``name``, ``reactants``, ``reagents``,
  ``product`` (plain SMILES). Sample id = the ``id`` column.

Every SMILES is canonicalised on load (atom maps stripped, ``evalsuite.scorers.chemistry.parse``); a row
whose gold side RDKit cannot read raises DataError naming file and line. With ``data=None``,
``source=auto`` uses the pulled USPTO-50K file when present, else the embedded set. Samples
come in file order; the seed does not reorder them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core import data_info
from evalsuite.core.benchmark import BenchmarkBase
from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.types import BenchmarkResult, SampleRecord
from evalsuite.scorers import chemistry

USPTO_CLASSES = {
    1: "heteroatom alkylation and arylation",
    2: "acylation and related processes",
    3: "C-C bond formation",
    4: "heterocycle formation",
    5: "protections",
    6: "deprotections",
    7: "reductions",
    8: "oxidations",
    9: "functional group interconversion",
    10: "functional group addition",
}
USPTO_COLUMNS = ("id", "class", "reactants>reagents>production")
EMBEDDED_COLUMNS = ("id", "reaction_class", "reactants", "reagents", "product")
SOURCES = ("auto", "embedded", "uspto50k")
MAX_CANDIDATES = 50  # raw candidates read from one reply; bounds the work a reply can cause
MAX_REPLY_CHARS = 100_000  # a longer reply is refused before any parsing


@dataclass(frozen=True, slots=True)
class Reaction:
    """One reaction, every SMILES canonical (exact key, '.'-joined), atom maps stripped."""

    id: str
    reaction_class: int | str
    reactants: str
    reagents: str
    product: str
    source: str

    @property
    def class_label(self) -> str:
        if isinstance(self.reaction_class, int):
            return f"{self.reaction_class} ({USPTO_CLASSES.get(self.reaction_class, 'unknown')})"
        return self.reaction_class


def embedded_path() -> Path:
    return Path(str(files("evalsuite.benchmarks.synthesis") / "reactions.csv"))


def resolve_data(data: Path | None, source: str) -> tuple[Path, str]:
    """(file to read, source label) for ``--data`` and the ``source`` option."""
    if data is not None:
        return Path(data), "file"
    if source == "embedded":
        return embedded_path(), "embedded"
    from evalsuite.core.datasets import cached_path

    pulled = cached_path("uspto50k")
    if pulled is not None:
        return pulled, "uspto50k"
    if source == "uspto50k":
        raise BenchmarkError("USPTO-50K is not in the data cache; run `evalsuite data pull uspto50k` first")
    return embedded_path(), "embedded"


def load_reactions(path: Path, source: str) -> Iterator[Reaction]:
    """Reactions of a USPTO-50K or embedded-layout CSV, in file order (lazily)."""
    try:
        handle = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise BenchmarkError(f"cannot read {path}: {exc}") from None
    with handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        if all(c in header for c in USPTO_COLUMNS):
            cols = {c: header.index(c) for c in USPTO_COLUMNS}
            row_to_reaction = uspto_row
        elif all(c in header for c in EMBEDDED_COLUMNS):
            cols = {c: header.index(c) for c in EMBEDDED_COLUMNS}
            row_to_reaction = embedded_row
        else:
            raise DataError(
                path, 1,
                f"unknown header {header}; expected columns {list(USPTO_COLUMNS)} (USPTO-50K) "
                f"or {list(EMBEDDED_COLUMNS)}",
            )
        for index, row in enumerate(reader):
            if not row or not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(header):
                raise DataError(path, line, f"{len(row)} fields, header has {len(header)}")
            fields = {c: row[i].strip() for c, i in cols.items()}
            yield row_to_reaction(fields, index, path, line, source)


def uspto_row(fields: dict[str, str], index: int, path: Path, line: int, source: str) -> Reaction:
    rxn = fields["reactants>reagents>production"]
    parts = rxn.split(">")
    if len(parts) != 3:
        raise DataError(path, line, f"reaction SMILES must be reactants>reagents>product, got {rxn[:80]!r}")
    try:
        reaction_class = int(fields["class"])
    except ValueError:
        raise DataError(path, line, f"class must be an integer 1-10, got {fields['class']!r}") from None
    if not fields["id"]:
        raise DataError(path, line, "empty id")
    return Reaction(
        id=f"{index:05d}-{fields['id']}",
        reaction_class=reaction_class,
        reactants=canonical(parts[0], "reactants", path, line),
        reagents=canonical(parts[1], "reagents", path, line) if parts[1] else "",
        product=canonical(parts[2], "product", path, line),
        source=source,
    )


def embedded_row(fields: dict[str, str], index: int, path: Path, line: int, source: str) -> Reaction:
    if not fields["id"]:
        raise DataError(path, line, "empty id")
    return Reaction(
        id=fields["id"],
        reaction_class=fields["reaction_class"],
        reactants=canonical(fields["reactants"], "reactants", path, line),
        reagents=canonical(fields["reagents"], "reagents", path, line) if fields["reagents"] else "",
        product=canonical(fields["product"], "product", path, line),
        source=source,
    )


def canonical(smiles: str, what: str, path: Path, line: int) -> str:
    parsed = chemistry.parse(smiles)
    if not parsed.ok:
        raise DataError(path, line, f"{what}: {parsed.reason}")
    return parsed.smiles


INPUTS = ("text", "image")


class SynthesisBase(BenchmarkBase):
    """Options, validation and aggregation shared by retrosynthesis and forward synthesis."""

    group_by: ClassVar[tuple[str, ...]] = ("reaction_class",)
    max_reply_chars: ClassVar[int | None] = None  # extract refuses a reply over MAX_REPLY_CHARS (100,000) itself
    target_type: ClassVar[type | None] = str  # a SMILES string
    options: ClassVar[dict[str, Any]] = {"match_mode": "exact", "source": "auto", "input": "text"}
    """``input=image``: the given molecules are drawn instead of written (docs/contracts.md#images),
    graded exactly as the text variant, so the two scores compare on the same items."""
    grade_cost: ClassVar[str] = "heavy"  # RDKit parsing and fingerprints: milliseconds a reply

    def validate(self) -> None:
        if self.option("match_mode") not in chemistry.MATCH_MODES:
            raise BenchmarkError(
                f"{self.name}: match_mode must be one of {', '.join(chemistry.MATCH_MODES)}, "
                f"got {self.option('match_mode')!r}"
            )
        if self.option("source") not in SOURCES:
            raise BenchmarkError(f"{self.name}: source must be one of {', '.join(SOURCES)}")
        if self.option("input") not in INPUTS:
            raise BenchmarkError(f"{self.name}: input must be one of {', '.join(INPUTS)}")

    def input_modalities(self) -> tuple[str, ...]:
        return ("text", "image") if self.option("input") == "image" else ("text",)

    def shown(self, role: str, smiles: str) -> tuple[str, list[dict[str, Any]]]:
        """How a given molecule set appears in the prompt: the line naming it, and the picture
        parts that go with it (none for text input)."""
        if self.option("input") != "image":
            return f"{role}: {smiles}", []
        from evalsuite.benchmarks.drawing import DrawOptions, drawn
        from evalsuite.core import images

        png, _ = drawn(smiles, DrawOptions())
        return f"{role}: shown in the picture", [images.put(png)]

    def content(self, text: str, pictures: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
        return text if not pictures else [{"type": "text", "text": text}, *pictures]

    def data_info(self, data: Path | None) -> DataInfo:
        """``embedded (38 reactions)``, ``USPTO-50K test (5,007 reactions)`` or the ``--data`` file."""
        path, source = resolve_data(data, self.option("source"))
        if source == "embedded":
            return data_info.embedded(data_info.count_rows(path) or 0, "reactions")
        if source == "uspto50k":
            return data_info.of_file(path, name="USPTO-50K test", source="pulled", unit="reactions")
        return data_info.of_file(path, unit="reactions")

    def reactions(self, data: Path | None) -> Iterator[Reaction]:
        path, source = resolve_data(data, self.option("source"))
        return load_reactions(path, source)

    def baselines(self, records: Sequence[SampleRecord]) -> dict[str, dict[str, float | None]]:
        return {}

    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        result = super().aggregate(records, seed)
        result.baselines = self.baselines(records)
        result.extra = {
            "match_mode": self.option("match_mode"),
            "molecule_fields": ["target", "prediction"],
            "similarity": f"Morgan r={chemistry.MORGAN_RADIUS} {chemistry.MORGAN_BITS}-bit Tanimoto",
        }
        return result


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
