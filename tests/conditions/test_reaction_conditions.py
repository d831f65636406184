"""reaction-conditions end to end through the benchmark methods: data, oracle, bad replies."""

from __future__ import annotations

import csv
import json

import pytest

from evalsuite.benchmarks.reaction_conditions import DEFAULT_DATA, ReactionConditions
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared

HEADER = "id,canonical_rxn,catalyst1,solvent1,solvent2,reagent1,reagent2\n"




def test_embedded_set_has_30_justified_reactions_and_oracle_scores_one():
    rows = list(csv.DictReader(DEFAULT_DATA.open()))
    assert len(rows) >= 30 and all(len(r["why"]) > 20 for r in rows)
    bench = ReactionConditions()
    samples = list(bench.samples(None, 0, None))
    assert len(samples) == len(rows) and len({s.id for s in samples}) == len(samples)
    records = [graded(bench, s, bench.oracle_response(s)) for s in samples]
    result = declared(bench, bench.aggregate(records, seed=0))
    for k in (1, 3, 5):
        assert result.metrics[f"overall_top{k}"].value == 1.0
    assert result.headline == "overall_top1" and result.higher_is_better["overall_top1"] is True


def test_empty_slots_in_the_embedded_data_are_the_empty_class():
    bench = ReactionConditions()
    nitration = next(s for s in bench.samples(None, 0, None) if s.id == "nitration")
    assert nitration.target["solvent1"] == "" and nitration.target["catalyst1"] == ""
    # the mixed-acid answer with "none" written for the solvents and catalyst is fully right
    reply = json.dumps([{"catalyst1": "none", "solvent1": None, "reagent1": "O=[N+]([O-])O", "reagent2": "OS(O)(=O)=O"}])
    assert graded(bench, nitration, reply).scores["overall_top1"] == 1.0


@pytest.mark.parametrize(
    "reply, reason",
    [
        (None, "empty reply"),
        ("", "empty reply"),
        ("no idea what you mean", "no answer found"),
        ("I'm sorry, I cannot help with that.", "refusal"),
        ('[1, 2]', "not an object"),
        ('{"solvent": "C1CCOC1"}', "key(s) solvent ignored"),
        ('[{"solvent1": "THF"}]', "invalid SMILES"),  # a name, not SMILES
        ('[{"solvent1": ["CO"]}]', "not a string"),
    ],
)
def test_bad_replies_score_zero_with_a_reason(reply, reason):
    bench = ReactionConditions()
    sample = next(iter(bench.samples(None, 0, 1)))
    rec = graded(bench, sample, reply)
    assert rec.scores["overall_top1"] == 0.0 and rec.scores["overall_top5"] == 0.0
    assert reason in (rec.reason or "")


def test_k_option_limits_the_sets_read_and_the_metrics(tmp_path):
    bench = ReactionConditions({"k": "1"})
    sample = next(s for s in bench.samples(None, 0, None) if s.id == "boc-deprotect")
    wrong = {"solvent1": "CO"}
    reply = json.dumps([wrong, dict(sample.target)])  # the right set is 2nd, beyond k=1
    rec = graded(bench, sample, reply)
    assert set(rec.scores) == {f"{s}_top1" for s in ("catalyst1", "solvent1", "solvent2", "reagent1", "reagent2", "overall")} | {"overall_top1_flexible"}
    assert rec.scores["overall_top1"] == 0.0
    assert graded(ReactionConditions({"k": "2"}), sample, reply).scores["overall_top1"] == 0.0
    assert graded(ReactionConditions({"k": "2"}), sample, reply).scores["overall_top2"] == 1.0
    with pytest.raises(BenchmarkError):
        ReactionConditions({"k": "0"})


def test_uspto_condition_layout_without_id_and_with_split(tmp_path):
    path = tmp_path / "conditions.csv"
    path.write_text(
        "source,canonical_rxn,catalyst1,solvent1,solvent2,reagent1,reagent2,dataset\n"
        "US1,CC(=O)c1ccccc1>>CC(O)c1ccccc1,,CO,,[BH4-].[Na+],,test\n"
        "US2,CC(=O)c1ccccc1>>CC(O)c1ccccc1,,CCO,,[BH4-].[Na+],,train\n"
    )
    samples = list(ReactionConditions().samples(path, 0, None))
    assert [s.id for s in samples] == ["L2"] and samples[0].metadata["source"] == "US1"
    assert len(list(ReactionConditions({"split": "all"}).samples(path, 0, None))) == 2


def test_broken_rows_raise_data_error_with_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "a,CCO>>CC=O,,ClCCl,,,\n" + "b,CCO>>CC=O,,dichloromethane,,,\n")
    with pytest.raises(DataError) as err:
        list(ReactionConditions().samples(path, 0, None))
    assert err.value.line == 3 and "solvent1" in str(err.value)
    missing = tmp_path / "missing.csv"
    missing.write_text("canonical_rxn,solvent1\nCCO>>CC=O,ClCCl\n")
    with pytest.raises(DataError, match="catalyst1"):
        list(ReactionConditions().samples(missing, 0, None))
    dup = tmp_path / "dup.csv"
    dup.write_text(HEADER + "a,CCO>>CC=O,,,,,\na,CCO>>CC=O,,,,,\n")
    with pytest.raises(DataError, match="duplicate"):
        list(ReactionConditions().samples(dup, 0, None))
