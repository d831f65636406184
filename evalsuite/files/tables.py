"""What aggregation reads of a journal, fed one record at a time: the record tables and the accounting.

One consumer, two feeders: ``results.load_records`` / ``aggregate`` read ``samples.jsonl`` back
line by line; a fresh run (nothing journaled before it) feeds the records it journals as it
goes (``Runner.finish``), so that reading and parsing the journal again, a tenth of a second at
2,000 samples, happens while the requests are in flight instead of after the last one. A record
is fed exactly as it is written (``SampleRecord.to_dict``), and the tables keep only JSON-typed
values, so both feeders build equal tables (tests/engine/test_live_tables.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from evalsuite.core.reads import EVERYTHING, Reads

if TYPE_CHECKING:
    from evalsuite.core.record_table import RecordTable, TableBuilder
    from evalsuite.files.accounting import Ledger


class JournalTables:
    """Record tables per benchmark (one per epoch with ``epochs``), first line per key wins.

    ``reads``: the benchmarks to keep, each with what its aggregate reads (None: every benchmark
    met, everything). ``ledger``: the accounting, fed every record line too.
    """

    def __init__(self, reads: Mapping[str, Reads] | None, *, epochs: int | None = None,
                 ledger: Ledger | None = None):
        from evalsuite.core.record_table import TableBuilder  # numpy: imported once the run needs it

        self.builder = TableBuilder
        self.reads, self.epochs, self.ledger = reads, epochs, ledger
        self.builders: dict[str, list[TableBuilder]] = {}
        if epochs is not None and reads is not None:
            self.builders = {name: [TableBuilder(name, reads[name]) for _ in range(epochs)] for name in reads}

    def add(self, row: Mapping[str, Any]) -> None:
        """One journal line (a parsed or a just-written record)."""
        name = row.get("benchmark")
        if not isinstance(name, str):
            return
        if self.ledger is not None:
            self.ledger.add(row)
        per_epoch = self.builders.get(name)
        if per_epoch is None:
            if self.epochs is not None or (self.reads is not None and name not in self.reads):
                return
            per_epoch = self.builders[name] = [self.builder(name, EVERYTHING if self.reads is None else self.reads[name])]
        if self.epochs is None:
            per_epoch[0].add_line(row)
            return
        epoch = row.get("epoch") or 0
        if isinstance(epoch, int) and 0 <= epoch < self.epochs:
            per_epoch[epoch].add_line(row)

    def tables(self) -> dict[str, RecordTable]:
        return {name: per_epoch[0].finish(dedupe=True) for name, per_epoch in self.builders.items()}

    def epoch_tables(self) -> dict[str, list[RecordTable]]:
        return {name: [builder.finish(dedupe=True) for builder in per_epoch] for name, per_epoch in self.builders.items()}
