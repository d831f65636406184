"""A benchmark's extractor or scorer that raises fails the sample, never the run, and every consumer
treats the failed sample by the metrics' declarations: the journaled record, the aggregate and the
gate. Checked for every registered benchmark, on its real samples and oracle replies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.core import registry
from evalsuite.core.types import RECORD_FIELDS
from evalsuite.engine.grading import graded
from evalsuite.files.frames import read_samples
from evalsuite.files.journal import SAMPLES, Journal
from evalsuite.files.results import declared
from evalsuite.gate.compare import gate

N = 6
HTE_FILES = {"hte-conditions/suzuki-miyaura": "hte/suzuki_miyaura.csv",
             "hte-conditions/buchwald-hartwig": "hte/buchwald_hartwig.csv"}


def every_benchmark() -> list[str]:
    return sorted(registry.benchmarks())


def data_for(name: str, shared: Path | None) -> Path | None:
    if name.split("/", 1)[0] in ("smolinstruct", "chembench4k", "matbench-text"):
        return Path(__file__).resolve().parents[1] / "published" / "fixtures" / "intern-s1"
    if name in HTE_FILES:
        if shared is None:
            pytest.skip("HTE data needs the reference data (evalsuite data pull)")
        return shared / HTE_FILES[name]
    return None


def raising(cls: type, where: str) -> type:
    """The benchmark with its extractor or scorer replaced by one that raises for sample 0."""

    def extract(self, reply, sample):
        if sample.id == self.broken_id:
            raise RuntimeError("extractor exploded")
        return cls.extract(self, reply, sample)

    def score(self, prediction, sample):
        if sample.id == self.broken_id:
            raise ZeroDivisionError("scorer exploded")
        return cls.score(self, prediction, sample)

    return type(f"Raising{cls.__name__}", (cls,), {where: extract if where == "extract" else score})


@pytest.fixture(scope="module")
def shared(request) -> Path | None:
    # Without the reference data only the HTE cases need skipping (data_for); the others run on
    # their embedded data, so a missing USPTO-50K file must not skip them all.
    try:
        return request.getfixturevalue("shared_data")
    except (pytest.fail.Exception, pytest.skip.Exception):
        return None


@pytest.mark.parametrize("where", ["extract", "score"])
@pytest.mark.parametrize("name", every_benchmark())
def test_a_raising_extractor_or_scorer_fails_one_sample_by_its_declarations(name, where, shared, tmp_path):
    plain = registry.create(name)
    samples = list(plain.samples(data_for(name, shared), 0, N))
    assert len(samples) >= 3, name
    broken = raising(type(plain), where)()
    broken.name = plain.name
    broken.broken_id = samples[0].id

    good = [graded(plain, s, plain.oracle_response(s)) for s in samples]
    bad = [graded(broken, s, plain.oracle_response(s)) for s in samples]

    # the journaled record: every declared per-sample metric at its failure value, the error as reason
    record = bad[0]
    failure = dict(plain.metric_set().failure_scores())
    if plain.headline in failure:  # grading scores the headline under the flexible rule too
        failure[f"{plain.headline}_flexible"] = failure[plain.headline]
    assert record.scores == failure, name
    assert all(v is None or v in (0.0, 1.0) for v in failure.values())
    for spec in plain.metric_set().per_sample:
        if spec.kind == "proportion":
            assert record.scores[spec.name] == (0.0 if spec.higher_is_better else 1.0), (name, spec.name)
    exploded = "extractor exploded" if where == "extract" else "scorer exploded"
    assert exploded in record.reason and record.extraction.startswith("failed: ")
    assert [r.scores for r in bad[1:]] == [r.scores for r in good[1:]]  # the others untouched

    # the journal line is the record, field for field
    (tmp_path / "j").mkdir()
    journal = Journal(tmp_path / "j")
    journal.append(record.to_dict())
    journal.close()
    line = json.loads((tmp_path / "j" / SAMPLES).read_text().splitlines()[0])
    assert list(line) == list(RECORD_FIELDS)
    assert read_samples(tmp_path / "j" / SAMPLES)[0] == record

    # the aggregate: the failed sample counts as a miss of the headline, and as an extraction failure
    ok = declared(plain, plain.aggregate(good, 0))
    hit = declared(plain, plain.aggregate(bad, 0))
    headline = plain.headline
    assert ok.metrics[headline].value is not None
    assert hit.metrics["extraction_failure_rate"].value == pytest.approx(1 / len(samples))
    if ok.metrics[headline].value == 1.0:
        assert hit.metrics[headline].value < 1.0, name
    for metric in hit.metrics:  # every reported metric is declared with a kind
        assert metric in hit.higher_is_better and metric in hit.kinds


@pytest.mark.parametrize("name", ["crystal-stability", "retrosynthesis", "tail/lcs"])
def test_the_gate_reads_a_failed_sample_by_declaration(name, rd, tmp_path):
    """crystal-stability's headline f1 exists only in the aggregate: a failed sample must not turn
    the gate to a per-sample mean; retrosynthesis' top_k are per-sample proportions: McNemar sees
    the failed sample as a right -> wrong discordant pair."""
    plain = registry.create(name)
    samples = list(plain.samples(None, 0, 12))
    broken = raising(type(plain), "score")()
    broken.name, broken.broken_id = plain.name, samples[0].id
    base = [graded(plain, s, plain.oracle_response(s)) for s in samples]
    cand = [graded(broken, s, plain.oracle_response(s)) for s in samples]
    a = rd.write_run(tmp_path / "a", "m", base, {name: declared(plain, plain.aggregate(base, 0))})
    b = rd.write_run(tmp_path / "b", "m", cand, {name: declared(plain, plain.aggregate(cand, 0))})
    code, report = gate(a, b, None)
    assert report["problems"] == []
    (row,) = [r for r in report["rows"] if r["metric"] == plain.headline]
    if name == "crystal-stability":
        assert row["test"] == "paired-bootstrap (recomputed)"
        # the recomputed f1 of the candidate is its real aggregate, not a mean of per-sample zeros
        assert row["candidate"] == pytest.approx(declared(plain, plain.aggregate(cand, 0)).metrics["f1"].value)
    else:
        assert row["test"] == "mcnemar-exact" and tuple(row["discordant"]) == (1, 0)
    assert code in (0, 1)
