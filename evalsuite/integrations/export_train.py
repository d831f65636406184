"""``evalsuite export train``: prompts with their targets, from the same generators and graders.

Rows (``docs/contracts.md#training-data``), in three formats:
- ``jsonl``: ``{id, data_source, prompt, ground_truth, extra_info}`` per line;
- ``verl``: a parquet file with verl's columns ``data_source`` (``evalsuite/<benchmark>``),
  ``prompt`` (chat messages), ``ability``, ``reward_model`` ``{style: rule, ground_truth}`` and
  ``extra_info`` ``{split, index, id, options, metadata}`` (what ``compute_score`` reads back);
- ``sft``: ``{messages: [user, assistant]}``; the assistant turn is the TAIL trace and final
  answer when ``cot=tail``, else the oracle reply.
``ground_truth`` is always the JSON text of the sample's target.

Disjointness: a TAIL train instance is drawn from its own seed space (``task|train|bucket|seed|
index|attempt``), and an instance whose digest is among the test instances of the same task
and seed (every bucket; ``per_bucket`` of them, as ``evalsuite samples`` would generate) is
redrawn. A data-set benchmark's train split is the file given with ``--data``; the pinned test
files (``evalsuite data``) are refused by checksum.
"""

from __future__ import annotations

import copy
import json
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalsuite.core import registry
from evalsuite.core.benchmark import Benchmark, take
from evalsuite.core.errors import BenchmarkError
from evalsuite.core.safe_files import replacing
from evalsuite.core.types import Sample

FORMATS = ("jsonl", "verl", "sft")
SPLITS = ("train", "test")
MAX_REDRAWS = 1000


@dataclass(frozen=True, slots=True)
class Stage:
    """One curriculum stage of a TAIL export: a bucket, or an explicit length range drawn as
    that bucket's generator with the range replaced."""

    bucket: str
    span: tuple[int, int] | None = None

    @property
    def label(self) -> str:
        return self.bucket if self.span is None else f"{self.span[0]}-{self.span[1]}"


@dataclass
class Row:
    sample: Sample
    split: str
    index: int
    assistant: str | None = None  # the SFT answer


def parse_lengths(text: str) -> list[tuple[int, int]]:
    """``10-20,21-30`` -> [(10, 20), (21, 30)]."""
    spans = []
    for part in (p.strip() for p in text.split(",")):
        low, sep, high = part.partition("-")
        try:
            span = (int(low), int(high if sep else low))
        except ValueError:
            raise BenchmarkError(f"--lengths: {part!r} is not LOW-HIGH") from None
        if not 1 <= span[0] <= span[1]:
            raise BenchmarkError(f"--lengths: {part!r} must satisfy 1 <= LOW <= HIGH")
        spans.append(span)
    return spans


def ability_of(name: str) -> str:
    if name.startswith("tail/"):
        return "algorithmic"
    return "materials" if name == "crystal-stability" else "chemistry"


# -- TAIL ---------------------------------------------------------------------------------------
def instance_key(instance: Any) -> bytes:
    """The digest key ``TailTask.instances`` uses to tell repeats apart."""
    return repr(sorted(instance.fields.items())).encode()


def test_digests(bench: Any, seed: int) -> Any:
    """Every test instance of the task at this seed (all buckets, ``per_bucket`` each)."""
    from evalsuite.core.digest_set import DigestSet

    seen = DigestSet()
    for bucket in ("S", "M", "L"):
        for _, instance in bench.instances(bucket, seed):
            seen.add(instance_key(instance))
    return seen


def tail_rows(bench: Any, stages: Sequence[Stage], n: int, seed: int, fmt: str, curriculum: bool) -> Iterator[Row]:
    """Up to ``n`` train rows per stage (fewer where the space outside the test set is smaller); stages in order when ``curriculum`` (shortest lengths first
    within a stage), else interleaved like ``evalsuite samples``."""
    test = test_digests(bench, seed)
    streams = [tail_stage(bench, stage, n, seed, test, fmt) for stage in stages]
    if curriculum:
        for stream in streams:
            yield from sorted(stream, key=lambda row: row.sample.metadata["length"])
        return
    while streams:
        for stream in list(streams):
            row = next(stream, None)
            if row is None:
                streams.remove(stream)
            else:
                yield row


def tail_stage(bench: Any, stage: Stage, n: int, seed: int, test: Any, fmt: str) -> Iterator[Row]:
    from evalsuite.core.digest_set import DigestSet

    if stage.span is not None:  # a copy per stage: interleaved stages must not share ranges
        bench = copy.copy(bench)
        setattr(bench, "ranges", {**type(bench).ranges, stage.bucket: stage.span})  # noqa: B010 - shadows the ClassVar
    seen = DigestSet()
    for index in range(n):
        for attempt in range(MAX_REDRAWS):
            rng = random.Random(f"{bench.task}|train|{stage.label}|{seed}|{index}|{attempt}")
            instance = bench.draw(rng, stage.bucket)
            key = instance_key(instance)
            if key_in(test, key) or not seen.add(key):
                continue
            break
        else:  # a small space (derangement S): the test set took most of it; say so, keep the rest
            print(f"evalsuite: {bench.name}: stage {stage.label} has only {index} train instances outside the "
                  "test set", file=sys.stderr)
            return
        sample = bench.make_sample(stage.bucket, index, instance, seed)
        metadata = {**sample.metadata, "stage": stage.label}
        prompt = sample.messages
        assistant = None
        if fmt == "sft":
            question = sample.messages[-1]["content"].rsplit("\n\nNow solve this problem.\n\n", 1)[-1]
            prompt = [{"role": "user", "content": question}]  # the trace is the answer, not an exemplar
            assistant = bench.solution(instance, worked=True) if bench.settings["cot"] == "tail" \
                else bench.oracle_response(sample)
        yield Row(Sample(f"train-{stage.label}-{index:05d}", prompt, sample.target, metadata), "train", index, assistant)


def key_in(digests: Any, key: bytes) -> bool:
    """Membership without inserting (``DigestSet.add`` inserts)."""
    import hashlib

    digest = hashlib.blake2b(key, digest_size=16).digest()
    if digest in digests.recent:
        return True
    if digests.old is None:
        return False
    at = int(digests.old.searchsorted(digest))
    return at < len(digests.old) and digests.old[at] == digest.rstrip(b"\0")


# -- data-set benchmarks ---------------------------------------------------------------------------
def refuse_test_file(data: Path) -> None:
    from evalsuite.core.datasets import DATASETS, sha256_of

    digest = sha256_of(data)
    for entry in DATASETS.values():
        if entry.sha256 == digest:
            raise BenchmarkError(f"--data {data} is the pinned {entry.name} evaluation file; "
                                 "a train split must come from another file (e.g. USPTO-50K train)")


def data_rows(bench: Benchmark, split: str, data: Path | None, n: int | None, seed: int, fmt: str) -> Iterator[Row]:
    if split == "train":
        if data is None:
            raise BenchmarkError(f"{bench.name}: the train split is read from a file; pass --data TRAIN.csv "
                                 "(the test file is never used for training)")
        refuse_test_file(data)
    for index, sample in enumerate(take(bench.samples(data, seed, None), n)):
        assistant = bench.oracle_response(sample) if fmt == "sft" else None
        yield Row(sample, split, index, assistant)


# -- writing ----------------------------------------------------------------------------------------
def record(bench: Benchmark, row: Row) -> dict[str, Any]:
    needed = tuple(getattr(bench, "reward_metadata", ()))
    return {
        "data_source": f"evalsuite/{bench.name}",
        "prompt": row.sample.messages,
        "ability": ability_of(bench.name),
        "reward_model": {"style": "rule", "ground_truth": json.dumps(row.sample.target)},
        "extra_info": {
            "split": row.split, "index": row.index, "id": row.sample.id,
            # JSON text, not nested columns: parquet would merge the rows' keys into one struct
            "options": json.dumps(getattr(bench, "settings", {}), sort_keys=True),
            "metadata": json.dumps({key: row.sample.metadata[key] for key in needed if key in row.sample.metadata}),
            "group": json.dumps({k: v for k, v in row.sample.metadata.items() if k in ("bucket", "length", "stage")}),
        },
    }


def line_of(bench: Benchmark, row: Row, fmt: str) -> dict[str, Any]:
    if fmt == "sft":
        return {"id": row.sample.id, "data_source": f"evalsuite/{bench.name}",
                "messages": [*row.sample.messages, {"role": "assistant", "content": row.assistant or ""}]}
    rec = record(bench, row)
    return {"id": row.sample.id, "data_source": rec["data_source"], "prompt": rec["prompt"],
            "ground_truth": rec["reward_model"]["ground_truth"], "extra_info": rec["extra_info"]}


def write(bench: Benchmark, rows: Iterator[Row], fmt: str, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    # a unique temporary beside OUT, never a predictable OUT.part that a planted symlink could
    # redirect; it replaces OUT (a symlink there included, its target untouched) only when whole
    with replacing(out, "wb" if fmt == "verl" else "w") as handle:
        if fmt == "verl":
            import pyarrow as pa
            import pyarrow.parquet as pq

            records = [record(bench, row) for row in rows]
            count = len(records)
            pq.write_table(pa.Table.from_pylist(records), handle)
        else:
            for row in rows:
                handle.write(json.dumps(line_of(bench, row, fmt), ensure_ascii=False) + "\n")
                count += 1
    return count


def export_train(benchmark: str, *, split: str, n: int | None, fmt: str, out: Path, data: Path | None = None,
                 seed: int = 0, options: Sequence[str] = (), buckets: str | None = None,
                 lengths: str | None = None, curriculum: bool = False) -> int:
    """Write the rows; returns how many."""
    if fmt not in FORMATS:
        raise BenchmarkError(f"--format must be one of {', '.join(FORMATS)}")
    if split not in SPLITS:
        raise BenchmarkError(f"--split must be one of {', '.join(SPLITS)}")
    if n is not None and n < 1:
        raise BenchmarkError("--n must be at least 1")
    names = registry.expand([benchmark])
    if len(names) != 1:
        raise BenchmarkError(f"{benchmark!r} is a family; export one benchmark at a time ({', '.join(names[:3])}, ...)")
    bench = registry.create(names[0], registry.split_options(list(options), names)[names[0]])
    if (buckets or lengths or curriculum) and not names[0].startswith("tail/"):
        raise BenchmarkError("--buckets, --lengths and --curriculum apply to TAIL tasks only")
    if names[0].startswith("tail/") and split == "train":
        if data is not None:
            raise BenchmarkError(f"{names[0]}: generated benchmark, --data is not used")
        stages = ([Stage("L", span) for span in parse_lengths(lengths)] if lengths
                  else [Stage(b) for b in bench.selected_buckets if not buckets or b in buckets.split(",")])  # type: ignore[attr-defined]
        if buckets:
            order = [b.strip() for b in buckets.split(",")]
            stages = sorted(stages, key=lambda s: order.index(s.bucket))
        rows = tail_rows(bench, stages, n or bench.settings["per_bucket"], seed, fmt, curriculum)  # type: ignore[attr-defined]
    else:
        rows = data_rows(bench, split, data, n, seed, fmt)
    return write(bench, rows, fmt, out)
