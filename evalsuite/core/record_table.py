"""One benchmark's finished samples as columns: what aggregation reads of a run, in id order.

A ``SampleRecord`` per sample costs about 0.4 kB even when light, which at 100,000 samples was
the whole memory growth of a run. Here a sample costs tens of bytes: ids in a numpy bytes
array, each score name a float64 column, and the extraction label, error, score names and
metadata as small int codes into tables of their distinct values (equal metadata dicts are
stored once, which works best once a benchmark's ``Reads`` has dropped the keys it does not
read).

Rows are sorted by id so that bootstrap CIs do not depend on the order samples finished in.
A table is also a ``Sequence[SampleRecord]``: indexing it rebuilds a read-only record, so a
benchmark's own ``aggregate`` may keep iterating records as it did before.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

import numpy as np

from evalsuite.core.reads import Reads
from evalsuite.core.types import SampleRecord

H = TypeVar("H", bound=Hashable)
NO_METADATA: Mapping[str, Any] = MappingProxyType({})
"""One object for every record without metadata: records are coded by their dict's id()."""


class Codes(Generic[H]):
    """Small int codes for hashable values, in order of first appearance."""

    def __init__(self) -> None:
        self.values: list[H] = []
        self._index: dict[H, int] = {}

    def code(self, value: H) -> int:
        found = self._index.get(value)
        if found is None:
            found = self._index[value] = len(self.values)
            self.values.append(value)
        return found


class Sharer:
    """Hands out one object per distinct small JSON value (strings up to ``SHORT`` characters,
    dicts of at most ``SMALL`` scalar or already-shared entries).

    Dicts stop being remembered once 10,000 of them found no twin, so a run whose metadata is
    unique per sample pays for no table it cannot use.
    """

    SHORT, SMALL, GIVE_UP = 32, 8, 10_000

    def __init__(self) -> None:
        self.strings: dict[str, str] = {}
        self.dicts: dict[tuple, dict] = {}
        self.shared_ids: set[int] = set()
        self.hits = self.misses = 0

    def text(self, value: str) -> str:
        return self.strings.setdefault(value, value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value) if len(value) <= self.SHORT else value
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            return value
        compacted = {self.text(k): self.value(v) for k, v in value.items()}
        if len(compacted) > self.SMALL:
            return compacted
        key: list[tuple[str, type, Any]] = []
        for k, v in compacted.items():
            if v is None or isinstance(v, (str, int, float, bool)):
                key.append((k, type(v), v))  # the type: 1, 1.0 and True are equal but not the same
            elif id(v) in self.shared_ids:
                key.append((k, dict, id(v)))
            else:
                return compacted
        frozen = tuple(key)
        found = self.dicts.get(frozen)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        if self.misses > self.GIVE_UP and self.hits < self.misses:
            return compacted
        self.dicts[frozen] = compacted
        self.shared_ids.add(id(compacted))
        return compacted


@dataclass(frozen=True, slots=True)
class Scores:
    """One score name's column: the value per row, NaN where None / missing.

    ``given`` tells a None or missing score (False) from a value that is NaN itself (True): the
    mean of a metric skips both, but an aggregate may count a missing score as 0.
    """

    values: np.ndarray
    given: np.ndarray


class TableBuilder:
    """Collects rows (journal lines or records) of one benchmark; ``finish`` makes the table.

    Rows wait in ``pending`` lists, one per field, and every ``CHUNK`` rows move to growing
    ``array`` buffers (ids: numpy chunks). The buffers are not numpy chunks joined at the end:
    freeing many small chunks leaves holes the process keeps, growing from one buffer does not.
    """

    CHUNK = 1024
    FIELDS = ("id", "scores", "extraction", "error", "cached", "meta")

    def __init__(self, benchmark: str, reads: Reads) -> None:
        self.benchmark, self.reads = benchmark, reads
        self.rows = 0
        self.pending: dict[str, list[Any]] = {name: [] for name in (*self.FIELDS, *reads.values)}
        self.id_chunks: list[np.ndarray] = []
        self.codes: dict[str, array] = {name: array("i") for name in ("keys", "label", "error", "meta")}
        self.cached = array("b")
        self.columns: dict[str, tuple[array, array]] = {}
        self.score_keys: Codes[tuple[str, ...]] = Codes()
        self.labels: Codes[str] = Codes()
        self.errors: Codes[Any] = Codes()
        self.metas: list[Mapping[str, Any]] = []
        self.meta_index: dict[Hashable, int] = {}
        self.code_of_source: dict[int, int] = {}  # id() of metadata dicts the records keep alive
        self.shared = Sharer()
        self.values: dict[str, list[Any]] = {name: [] for name in reads.values}

    def add_line(self, line: Mapping[str, Any]) -> None:
        """A parsed ``samples.jsonl`` line. Every line brings its own copies of equal values
        (the same metadata dict, the same short strings): they are stored once."""
        metadata = self.shared.value(self.project(line.get("metadata") or {}))
        kept = {name: line.get(name) for name in self.reads.values}
        if "prediction" in kept and "target" in kept and kept["prediction"] == kept["target"]:
            kept["prediction"] = kept["target"]  # right answers: one object, not two equal ones
        pending = self.pending
        pending["id"].append(str(line.get("id")))
        pending["scores"].append(line.get("scores") or {})
        pending["extraction"].append(line.get("extraction") or "")
        pending["error"].append(line.get("error"))
        pending["cached"].append(bool(line.get("cached")))
        pending["meta"].append(self.meta_code(metadata, id(metadata)))
        for name, value in kept.items():
            pending[name].append(self.shared.value(value) if isinstance(value, str) else value)
        if len(pending["id"]) >= self.CHUNK:
            self.flush()

    def add_records(self, records: Sequence[SampleRecord]) -> None:
        for start in range(0, len(records), self.CHUNK):
            chunk = records[start:start + self.CHUNK]
            pending = self.pending
            pending["id"].extend(str(r.id) for r in chunk)
            pending["scores"].extend(r.scores or {} for r in chunk)
            pending["extraction"].extend(r.extraction or "" for r in chunk)
            pending["error"].extend(r.error for r in chunk)
            pending["cached"].extend(bool(r.cached) for r in chunk)
            pending["meta"].extend(self.record_meta_code(r.metadata or NO_METADATA) for r in chunk)
            for name in self.reads.values:
                pending[name].extend(getattr(r, name) for r in chunk)
            self.flush()

    def record_meta_code(self, metadata: Mapping[str, Any]) -> int:
        """The code of a record's metadata: records given again (a resampled list) or sharing
        one dict are coded once; equal projections share a code."""
        code = self.code_of_source.get(id(metadata))
        if code is None:
            if self.reads.metadata is None:  # the record's own dict, kept whole
                code = self.meta_code(metadata, id(metadata))
            else:
                projected = self.project(metadata)
                code = self.meta_code(projected, identity(projected))
            self.code_of_source[id(metadata)] = code
        return code

    def project(self, metadata: Mapping[str, Any]) -> Mapping[str, Any]:
        """The metadata the benchmark reads, keys in ``reads.metadata`` order."""
        keep = self.reads.metadata
        return metadata if keep is None else {k: metadata[k] for k in keep if k in metadata}

    def meta_code(self, metadata: Mapping[str, Any], key: Hashable) -> int:
        code = self.meta_index.get(key)
        if code is None:
            code = self.meta_index[key] = len(self.metas)
            self.metas.append(metadata)  # kept alive here, so no other object gets its id()
        return code

    def flush(self) -> None:
        pending = self.pending
        rows = len(pending["id"])
        if not rows:
            return
        keys = [tuple(scores) for scores in pending["scores"]]
        for names in dict.fromkeys(keys):
            for name in names:
                if name not in self.columns:  # rows before it had no such score
                    self.columns[name] = (array("d", [math.nan]) * self.rows, array("b", [0]) * self.rows)
        for name, (values, given) in self.columns.items():
            raw = [scores.get(name) for scores in pending["scores"]]
            values.extend([math.nan if value is None else value for value in raw])
            given.extend([value is not None for value in raw])
        self.id_chunks.append(np.array([encode_id(i) for i in pending["id"]], dtype=bytes))
        self.codes["keys"].extend([self.score_keys.code(k) for k in keys])
        self.codes["label"].extend([self.labels.code(label) for label in pending["extraction"]])
        self.codes["error"].extend([self.errors.code(error) for error in pending["error"]])
        self.codes["meta"].extend(pending["meta"])
        self.cached.extend(pending["cached"])
        for name in self.reads.values:
            self.values[name].extend(pending[name])
        self.pending = {name: [] for name in pending}
        self.rows += rows

    def finish(self, *, dedupe: bool) -> RecordTable:
        """The table in id order. ``dedupe``: keep only the first row of each id (a journal may
        repeat a sample after a resume); otherwise keep every row, equal ids in arrival order.

        Buffers are turned into columns one at a time and released at once, so the peak stays
        near the size of the finished table.
        """
        self.flush()
        ids = np.concatenate(self.id_chunks) if self.id_chunks else np.array([], dtype=bytes)
        self.id_chunks.clear()
        if dedupe:
            order = np.unique(ids, return_index=True)[1]  # first row of each id, ids ascending
        else:
            order = np.argsort(ids, kind="stable")
        ids = ids[order]

        def column(buffer: array, dtype: type) -> np.ndarray:
            out: np.ndarray = np.frombuffer(buffer, dtype=dtype)[order]
            del buffer[:]  # (the view above is gone) releases the buffer now, not with the builder
            return out

        def codes(buffer: array, distinct: int) -> np.ndarray:
            """In the narrowest unsigned type that holds them: a byte each up to 256 values."""
            return column(buffer, np.intc).astype(np.min_scalar_type(max(distinct - 1, 0)))

        scores = {name: Scores(column(values, np.float64), column(given, np.int8).astype(bool))
                  for name, (values, given) in self.columns.items()}
        values = {name: object_array(items)[order] for name, items in self.values.items()}
        self.values.clear()
        return RecordTable(
            benchmark=self.benchmark, reads=self.reads, ids=ids, scores=scores,
            score_keys=self.score_keys.values, key_codes=codes(self.codes["keys"], len(self.score_keys.values)),
            labels=self.labels.values, label_codes=codes(self.codes["label"], len(self.labels.values)),
            errors=self.errors.values, error_codes=codes(self.codes["error"], len(self.errors.values)),
            metas=self.metas, meta_codes=codes(self.codes["meta"], len(self.metas)),
            cached=column(self.cached, np.int8).astype(bool), values=values,
        )


def encode_id(sample_id: str) -> bytes:
    """UTF-8 (lone surrogates passed through): a quarter of numpy's 4 bytes per character, and
    bytes sort as the strings do, UTF-8 keeping code point order."""
    return sample_id.encode("utf-8", "surrogatepass")


def decode_id(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


def identity(metadata: Mapping[str, Any]) -> Hashable:
    """Equal for equal flat dicts (1, 1.0 and True told apart), else the dict's own id."""
    key = tuple((k, type(v), v) for k, v in metadata.items())
    try:
        hash(key)
    except TypeError:
        return id(metadata)
    return key


def object_array(items: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of ``items`` (``np.array`` would turn equal-length lists into rows)."""
    out = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        out[index] = item
    return out


@dataclass(frozen=True, eq=False)
class RecordTable(Sequence[SampleRecord]):
    """Finished samples of one benchmark, one row per sample, rows in id order.

    Every table has ids, scores, extraction labels, errors and the cached flag; metadata holds
    the keys of ``reads.metadata`` (all when None) and ``values`` the per-sample fields named in
    ``reads.values``. A record rebuilt from a row has None / no key where the table has nothing.
    """

    benchmark: str
    reads: Reads
    ids: np.ndarray
    scores: dict[str, Scores]
    score_keys: list[tuple[str, ...]]
    key_codes: np.ndarray
    labels: list[str]
    label_codes: np.ndarray
    errors: list[Any]
    error_codes: np.ndarray
    metas: list[Mapping[str, Any]]
    meta_codes: np.ndarray
    cached: np.ndarray
    values: dict[str, np.ndarray]

    @classmethod
    def of(cls, records: Iterable[SampleRecord], reads: Reads) -> RecordTable:
        """``records`` as a table: a table is taken as it is (it was loaded for the benchmark's
        reads); a list of records, e.g. built by hand or resampled by the gate, keeps every
        record, duplicate ids included."""
        if isinstance(records, RecordTable):
            return records
        records = list(records)
        builder = TableBuilder(records[0].benchmark if records else "", reads)
        builder.add_records(records)
        return builder.finish(dedupe=False)

    # -- columns ----------------------------------------------------------------------------
    def score(self, name: str, absent: float = np.nan) -> np.ndarray:
        """One value per row (read-only); ``absent`` where the row's score is None or missing."""
        column = self.scores.get(name)
        if column is None:
            return np.full(len(self), absent)
        if np.isnan(absent):
            return column.values
        return np.where(column.given, column.values, absent)

    def slots(self, key: str) -> tuple[list[Any], np.ndarray]:
        """(the distinct metadata values of ``key`` in order of first appearance, each row's
        slot: 0 without ``key``, i + 1 with the i-th value). Equal values (1 and 1.0) share a
        slot, named by the value of its first row."""
        codes, first = np.unique(self.meta_codes, return_index=True)
        slot_of_meta = np.zeros(len(self.metas), dtype=np.min_scalar_type(len(self.metas)))
        found: dict[Any, int] = {}
        for code in codes[np.argsort(first)]:
            meta = self.metas[code]
            if key in meta:
                slot_of_meta[code] = found.setdefault(meta[key], len(found) + 1)
        return list(found), slot_of_meta[self.meta_codes]

    def take(self, rows: np.ndarray) -> RecordTable:
        """The table of the given rows, in that order."""
        return replace(
            self, ids=self.ids[rows], key_codes=self.key_codes[rows], label_codes=self.label_codes[rows],
            error_codes=self.error_codes[rows], meta_codes=self.meta_codes[rows], cached=self.cached[rows],
            scores={name: Scores(c.values[rows], c.given[rows]) for name, c in self.scores.items()},
            values={name: column[rows] for name, column in self.values.items()},
        )

    # -- as a sequence of records -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> SampleRecord: ...

    @overload
    def __getitem__(self, index: slice) -> RecordTable: ...

    def __getitem__(self, index: int | slice) -> SampleRecord | RecordTable:
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        row = range(len(self))[index]  # IndexError past the end, negative indices from the end
        scores = {name: float(self.scores[name].values[row]) if self.scores[name].given[row] else None
                  for name in self.score_keys[self.key_codes[row]]}
        values = {name: column[row] for name, column in self.values.items()}
        return SampleRecord(
            benchmark=self.benchmark, id=decode_id(self.ids[row]), prompt=[], response=None,
            prediction=values.get("prediction"), target=values.get("target"), scores=scores,
            extraction=self.labels[self.label_codes[row]], error=self.errors[self.error_codes[row]],
            reason=values.get("reason"), metadata=self.metas[self.meta_codes[row]], cached=bool(self.cached[row]),
        )

    def __iter__(self) -> Iterator[SampleRecord]:
        for row in range(len(self)):
            yield self[row]
