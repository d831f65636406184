"""What a benchmark's aggregate reads of each sample: the columns a ``RecordTable`` keeps."""

from __future__ import annotations

from dataclasses import dataclass

SAMPLE_VALUES = ("prediction", "target", "reason")


@dataclass(frozen=True, slots=True)
class Reads:
    """What a benchmark's ``aggregate`` reads of each sample besides its id, scores, extraction
    label, error and cached flag (which every aggregate gets).

    Aggregation loads a run's samples into a ``RecordTable`` holding only these, so a benchmark
    that reads little costs little memory per sample. ``metadata``: the keys kept (None: all;
    list every ``group_by`` key); ``values``: which of ``SAMPLE_VALUES`` are kept. What is not
    kept reads as None (values) or as an absent key (metadata).
    """

    metadata: tuple[str, ...] | None = None
    values: tuple[str, ...] = SAMPLE_VALUES

    def __post_init__(self) -> None:
        unknown = sorted(set(self.values) - set(SAMPLE_VALUES))
        if unknown:
            raise ValueError(f"Reads.values: unknown field(s) {', '.join(unknown)} (known: {', '.join(SAMPLE_VALUES)})")


EVERYTHING = Reads()
SCORES_ONLY = Reads(metadata=(), values=())
