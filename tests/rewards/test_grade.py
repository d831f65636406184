"""``evalsuite.rewards.grade``: right, wrong and empty replies for every benchmark, and the same
numbers as ``evalsuite run`` journals for the same replies (replay files)."""

from __future__ import annotations

import json
import math

import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from evalsuite.rewards import Grade, RewardInputError, grade
from evalsuite.scorers.conditions import SLOTS

from .conftest import load_helpers

H = load_helpers()
ALL, data_for, off_by_one, replay_run, tag_of = H.ALL, H.data_for, H.off_by_one, H.replay_run, H.tag_of
HE = "[He]"  # a valid molecule sharing no Morgan bit with any organic reactant set


def wrong_reply(name: str, bench, sample) -> str:
    target = sample.target
    if name.startswith("tail/"):
        return f"Working.\nFinal Answer: {off_by_one(target)}"
    if name == "retrosynthesis":
        return json.dumps([HE])
    if name == "forward-synthesis":
        return f"Final Answer: {HE}"
    if name == "reaction-conditions":
        return json.dumps([{slot: HE for slot in SLOTS}])
    if name.startswith("hte-conditions/"):
        yields = target["yields"]
        return "Final Answer:\n" + min(yields, key=lambda code: yields[code])
    if name == "crystal-stability":
        return f"Final Answer: {'unstable' if target['stable'] else 'stable'}"
    raise AssertionError(name)


def declared_reward(name: str, record: dict) -> float:
    """The reward each benchmark declares, written out from its definition (issue 19)."""
    s = record["scores"]
    if record["extraction"].startswith("failed"):
        return 0.0
    if name.startswith("tail/"):
        return s["accuracy"]
    if name == "retrosynthesis":
        return 1.0 if s["top_1"] == 1.0 else 0.5 * s["tanimoto_top1"]
    if name == "forward-synthesis":
        return 1.0 if s["accuracy"] == 1.0 else 0.5 * s["tanimoto"]
    if name == "reaction-conditions":
        return sum(s[f"{slot}_top1"] for slot in SLOTS) / len(SLOTS)
    if name.startswith("hte-conditions/"):
        return s["normalised_yield"]
    return s["correct"]


def pick(name: str, samples: list) -> list:
    """Three samples; for HTE ones whose worst condition made nothing, so a worst pick scores 0."""
    if name.startswith("hte-conditions/"):
        samples = [s for s in samples if min(s.target["yields"].values()) == 0.0]
    assert len(samples) >= 3
    return samples[:3]


@pytest.mark.parametrize("name", ALL)
def test_right_wrong_empty_and_same_as_the_run(name, samples_of, shared_data, tmp_path):
    limit = 40 if name.startswith("hte") else 3
    bench, samples = samples_of(name, limit)
    right, wrong, empty = pick(name, samples)
    replies = {right.id: bench.oracle_response(right), wrong.id: wrong_reply(name, bench, wrong), empty.id: ""}
    meta = {s.id: s.metadata for s in (right, wrong, empty)}

    got = {sid: grade(name, s.target, replies[sid], metadata=meta[sid])
           for sid, s in ((right.id, right), (wrong.id, wrong), (empty.id, empty))}
    assert (got[right.id].score, got[right.id].status, got[right.id].correct) == (1.0, "ok", True)
    assert got[right.id].format_ok
    assert (got[wrong.id].score, got[wrong.id].correct, got[wrong.id].status) == (0.0, False, "ok")
    assert (got[empty.id].score, got[empty.id].status, got[empty.id].format_ok) == (0.0, "no-answer", False)

    records = replay_run(tmp_path, name, replies, data_for(name, shared_data), tag_of(name), limit)
    assert {r["id"] for r in records} == set(replies)
    for record in records:
        again = grade(name, record["target"], record["response"], metadata=record["metadata"])
        assert again.subscores == record["scores"]
        assert again.score == pytest.approx(declared_reward(name, record))
        assert again == got[record["id"]]


def morgan_tanimoto(a: str, b: str) -> float:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return DataStructs.TanimotoSimilarity(gen.GetFingerprint(Chem.MolFromSmiles(a)),
                                          gen.GetFingerprint(Chem.MolFromSmiles(b)))


def test_chemistry_partial_credit_is_half_the_tanimoto_of_the_first_candidate():
    gold = "CC(=O)O.OCC"  # ethyl acetate from acetic acid and ethanol
    near = "CC(=O)Cl.OCC"  # acetyl chloride instead: wrong, but close
    result = grade("retrosynthesis", gold, json.dumps([near, gold]))
    expected = 0.5 * morgan_tanimoto(near, gold)
    assert 0.0 < expected < 0.5
    assert result.score == pytest.approx(expected)
    assert not result.correct and result.subscores["top_3"] == 1.0  # right at rank 2 earns no top-1 credit
    forward = grade("forward-synthesis", "CCOC(C)=O", "Final Answer: CCOC(=O)CC")
    assert forward.score == pytest.approx(0.5 * morgan_tanimoto("CCOC(=O)CC", "CCOC(C)=O"))


def test_reaction_conditions_share_of_slots_right():
    gold = {"catalyst1": "", "solvent1": "ClCCl", "solvent2": "", "reagent1": "CCN(CC)CC", "reagent2": ""}
    answer = {"catalyst1": HE, "solvent1": "C(Cl)Cl", "solvent2": HE, "reagent1": HE, "reagent2": HE}
    result = grade("reaction-conditions", gold, json.dumps([answer]))
    assert result.score == pytest.approx(1 / 5)  # only the solvent (written another way) is right
    assert not result.correct


def test_crystal_numeric_mode_is_a_tolerance_band():
    target = {"e_above_hull": 0.12, "e_form_per_atom": -1.5, "stable": False}
    options = {"mode": "e-above-hull"}
    close = grade("crystal-stability", target, "Final Answer: 0.16 eV/atom", options=options)
    far = grade("crystal-stability", json.dumps(target), "Final Answer: 1.12 eV/atom", options=options)
    assert (close.score, close.correct) == (1.0, True)  # 0.04 eV/atom off, inside the 0.05 band
    assert (far.score, far.correct) == (0.0, False)  # off by one eV/atom
    assert far.subscores["abs_error"] == pytest.approx(1.0)


def test_hte_normalised_yield_of_a_middling_choice(samples_of):
    bench, samples = samples_of("hte-conditions/buchwald-hartwig", 1)
    sample = samples[0]
    yields = sample.target["yields"]
    middle = sorted(yields, key=lambda c: yields[c])[len(yields) // 2]
    result = grade(bench.name, sample.target, f"Final Answer: {middle}", metadata=sample.metadata)
    assert result.score == pytest.approx(yields[middle] / max(yields.values()))
    with pytest.raises(RewardInputError, match="menu"):
        grade(bench.name, json.dumps(sample.target), f"Final Answer: {middle}")


def test_statuses_come_from_the_extraction():
    target = "42"
    name = "tail/count-letters"
    assert grade(name, target, "I'm sorry, I cannot help with that.").status == "refusal"
    assert grade(name, target, "<think>counting the letters").status == "truncated"  # cut off mid-thought
    assert grade(name, target, "Final Answer: 42", finish_reason="length").status == "truncated"
    assert grade(name, target, "no answer here").status == "no-answer"
    invalid = grade(name, target, "Final Answer: forty-two")
    assert (invalid.status, invalid.format_ok, invalid.score) == ("invalid", True, 0.0)
    retro = grade("retrosynthesis", "CCO", json.dumps(["C1CC"]))  # unclosed ring: not a molecule
    assert (retro.status, retro.score) == ("invalid", 0.0)


def test_bad_requests_raise_and_grades_pickle():
    import pickle

    with pytest.raises(RewardInputError, match="unknown benchmark"):
        grade("no-such-benchmark", "1", "x")
    with pytest.raises(RewardInputError, match="not the JSON text"):
        grade("tail/count-letters", ground_truth="{not json", completion="x")
    with pytest.raises(RewardInputError, match="string or a list of messages"):
        grade("tail/count-letters", "3", 3)
    result = grade("evalsuite/tail/count-letters", "3", "Final Answer: 3")
    assert isinstance(result, Grade) and pickle.loads(pickle.dumps(result)) == result
    assert math.isclose(result.score, 1.0) and result.grader_version.startswith("tail/count-letters/v1/")
