"""No prompt gives its own gold answer away (docs/contracts.md#benchmark-names: every benchmark).

Two independent checks over every sample of every embedded data set (and the reference sets
in the shared data folder: USPTO-50K test, the HTE screens):

- echo: a "model" that replies with the prompt itself must not score a hit. This is what a
  broken server that echoes its input does; a format example equal to the item's gold (as the
  retrosynthesis example ``CC(=O)O.OCC`` was for ``ester-01``) scores top-1 on it.
- chemistry: no SMILES-like token of a synthesis prompt is the gold molecule set, compared by
  RDKit canonical SMILES (so a reordered or differently written copy is caught as well).

A benchmark whose answer is one of a few labels listed in every prompt (crystal-stability:
stable / unstable) cannot avoid naming the gold; there the echo must carry no information about
the item: it reads as the same label for every sample.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from evalsuite.core import registry
from evalsuite.core.types import Reply, Sample
from evalsuite.engine.grading import grade

SHARED = {
    "hte-conditions/suzuki-miyaura": "hte/suzuki_miyaura.csv",
    "hte-conditions/buchwald-hartwig": "hte/buchwald_hartwig.csv",
}
USPTO = "uspto50k/test.csv"
# families that ship no data: their hand-written fixtures in the public formats
FIXTURES = Path(__file__).resolve().parents[1] / "published" / "fixtures" / "intern-s1"
FIXTURE_FAMILIES = ("smolinstruct", "chembench4k", "matbench-text")
LABEL_ANSWERS = {"crystal-stability"}
SMILES_TOKEN = re.compile(r"[A-Za-z0-9@+\-\[\]()=#$/\\%.:*~]{2,}")


def prompt_text(sample: Sample) -> str:
    parts = []
    for message in sample.messages:
        content = message["content"]
        if isinstance(content, str):
            parts.append(content)
        else:
            parts += [part.get("text", "") for part in content if isinstance(part, dict)]
    return "\n".join(parts)


def hit_metrics(bench) -> list[str]:
    """The per-sample metrics that say "right": the headline when it is per sample, else every
    per-sample proportion where higher is better (crystal-stability's ``correct``)."""
    declared = bench.metric_set()
    head = declared.get(bench.headline)
    if head is not None and head.per_sample:
        return [bench.headline]
    return [m.name for m in declared.values() if m.per_sample and m.kind == "proportion" and m.higher_is_better]


def shared_folder() -> Path | None:
    """The shared reference data where it is laid out (as tests/conftest.py finds it)."""
    path = Path(os.environ.get("EVALSUITE_SHARED_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
    return path if path.is_dir() else None


def data_sets(shared: Path | None) -> list[tuple[str, Path | None]]:
    out: list[tuple[str, Path | None]] = []
    for name in sorted(registry.benchmarks()):
        if name in SHARED:
            if shared is not None and (shared / SHARED[name]).is_file():
                out.append((name, shared / SHARED[name]))
            continue
        out.append((name, FIXTURES if name.split("/", 1)[0] in FIXTURE_FAMILIES else None))
        if name in ("retrosynthesis", "forward-synthesis") and shared is not None and (shared / USPTO).is_file():
            out.append((name, shared / USPTO))
    return out


def test_the_sets_checked_cover_every_benchmark(shared_data):
    checked = {name for name, _ in data_sets(shared_data)}
    assert checked == set(registry.benchmarks())


@pytest.mark.parametrize(("name", "data"), data_sets(shared_folder()),
                         ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_an_echoed_prompt_scores_no_hit(name, data):
    bench = registry.create(name, {})
    metrics = hit_metrics(bench)
    assert metrics, f"{name}: no per-sample hit metric to check"
    hits, echoed, count = [], set(), 0
    for sample in bench.samples(data, 0, None):
        count += 1
        prediction, score = grade(bench, sample, Reply(text=prompt_text(sample)))
        echoed.add(repr(prediction.value))
        if any((score.values.get(m) or 0) >= 1 for m in metrics):
            hits.append(sample.id)
    assert count > 0
    if name in LABEL_ANSWERS:
        assert len(echoed) == 1, f"{name}: the echo's answer depends on the item: {sorted(echoed)[:5]}"
    else:
        assert hits == [], f"{name}: an echo of the prompt is right on {hits[:10]}"


def canonical_set(smiles: str) -> tuple[str, ...] | None:
    """RDKit's own canonical form of a molecule set, fragments sorted (independent of scorers/)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    return None if mol is None else tuple(sorted(Chem.MolToSmiles(mol).split(".")))


@pytest.mark.parametrize(("name", "data"), [(n, d) for n, d in data_sets(shared_folder())
                                             if n in ("retrosynthesis", "forward-synthesis", "molecule-recognition")],
                         ids=lambda v: v.name if isinstance(v, Path) else str(v))
def test_no_synthesis_prompt_writes_its_gold_molecules(name, data):
    leaks = []
    for sample in registry.create(name, {}).samples(data, 0, None):
        gold = canonical_set(sample.target)
        assert gold is not None, f"{name}/{sample.id}: gold {sample.target!r} does not parse"
        for token in SMILES_TOKEN.findall(prompt_text(sample)):
            for candidate in {token, token.strip(".,:;()[]")}:
                if candidate and canonical_set(candidate) == gold:
                    leaks.append((sample.id, token))
    assert leaks == []
