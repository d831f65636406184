"""reaction-conditions: hand-written replies for the reading rules of issue 16 (item 7), graded
as a run grades them (``evalsuite.engine.grading.grade``), with gold sets written in a USPTO-Condition
CSV and read back by the benchmark."""

from __future__ import annotations

import pytest

from evalsuite.benchmarks.reaction_conditions import ReactionConditions
from evalsuite.core.types import Reply
from evalsuite.engine.grading import grade

HEADER = "id,canonical_rxn,catalyst1,solvent1,solvent2,reagent1,reagent2\n"
# Oxime formation: hydroxylamine (SMILES NO) as the reagent, ethanol as the solvent.
OXIME = "oxime,CC(C)=O>>CC(C)=NO,,CCO,,NO,\n"
# Hydrogenation over Pd/C, hydrogen written [H][H] in the data.
HYDROGENATION = "h2,C=Cc1ccccc1>>CCc1ccccc1,[Pd],CO,,[H][H],\n"


@pytest.fixture
def samples(tmp_path):
    path = tmp_path / "conditions.csv"
    path.write_text(HEADER + OXIME + HYDROGENATION)
    bench = ReactionConditions()
    return bench, {s.id: s for s in bench.samples(path, 0, None)}


def graded(bench, sample, text):
    prediction, score = grade(bench, sample, Reply(text=text))
    return prediction, score


def test_gold_no_is_hydroxylamine_not_an_empty_slot(samples):
    bench, by_id = samples
    assert by_id["oxime"].target["reagent1"] == "NO"  # not "" (the old "no" empty word)
    right = 'Final Answer: [{"solvent1": "CCO", "reagent1": "NO"}]'
    assert graded(bench, by_id["oxime"], right)[1].values["overall_top1"] == 1.0
    # "none" where the data has hydroxylamine is wrong for that slot, and NO is no empty word
    empty = 'Final Answer: [{"solvent1": "CCO", "reagent1": "none"}]'
    assert graded(bench, by_id["oxime"], empty)[1].values["reagent1_top1"] == 0.0


def test_hydrogen_written_either_way_matches_by_inchi(samples):
    bench, by_id = samples
    for hydrogen in ("[HH]", "[H][H]"):
        reply = f'Final Answer: [{{"catalyst1": "[Pd]", "solvent1": "CO", "reagent1": "{hydrogen}"}}]'
        assert graded(bench, by_id["h2"], reply)[1].values["overall_top1"] == 1.0, hydrogen
    wrong = 'Final Answer: [{"catalyst1": "[Pd]", "solvent1": "CO", "reagent1": "[H]"}]'  # a hydrogen atom
    assert graded(bench, by_id["h2"], wrong)[1].values["reagent1_top1"] == 0.0


def test_fenced_json_list_after_final_answer_is_read(samples):
    bench, by_id = samples
    reply = ("Hydroxylamine condenses with the ketone.\nFinal Answer:\n```json\n"
             '[\n  {"catalyst1": "", "solvent1": "CCO", "solvent2": "", "reagent1": "NO", "reagent2": ""}\n]\n```\n')
    prediction, score = graded(bench, by_id["oxime"], reply)
    assert prediction.stage == "final-answer" and score.values["overall_top1"] == 1.0


def test_multi_line_json_list_after_final_answer_is_read(samples):
    bench, by_id = samples
    reply = ('Final Answer: [\n  {"catalyst1": "[Pd]",\n   "solvent1": "CO",\n   "reagent1": "[H][H]"},\n'
             '  {"solvent1": "CCO"}\n]')
    prediction, score = graded(bench, by_id["h2"], reply)
    assert len(prediction.value) == 2 and score.values["overall_top1"] == 1.0


def test_an_extra_key_is_ignored_with_a_note(samples):
    bench, by_id = samples
    reply = 'Final Answer: [{"solvent1": "CCO", "reagent1": "NO", "temperature": "25 C"}]'
    prediction, score = graded(bench, by_id["oxime"], reply)
    assert prediction.ok and score.values["overall_top1"] == 1.0
    assert "temperature ignored" in (score.reason or "")


def test_the_last_final_answer_wins_and_an_earlier_draft_does_not(samples):
    bench, by_id = samples
    reply = ('Final Answer: [{"solvent1": "O"}]\nOn reflection water is wrong here.\n'
             'Final Answer: [{"solvent1": "CCO", "reagent1": "NO"}]')
    assert graded(bench, by_id["oxime"], reply)[1].values["overall_top1"] == 1.0
