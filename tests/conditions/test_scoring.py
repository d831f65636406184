"""scorers/conditions.py against hand-worked examples (slot top-k rules and yield metrics)."""

from __future__ import annotations

import itertools
import math

import pytest

from evalsuite.scorers import conditions as cond

THF, ET3N, DCM = "C1CCOC1", "CCN(CC)CC", "ClCCl"


def canon(**slots):
    keys, reasons = cond.normalise_set(slots)
    assert not reasons
    return keys


GOLD = canon(solvent1=THF, reagent1=ET3N)  # catalyst1, solvent2, reagent2 empty


def test_set_right_in_four_of_five_slots_counts_for_those_slots_not_overall():
    wrong_solvent = canon(solvent1=DCM, reagent1=ET3N)
    scores = cond.slot_topk([wrong_solvent], GOLD, [1])
    assert scores["solvent1_top1"] == 0.0
    for slot in ("catalyst1", "solvent2", "reagent1", "reagent2"):
        assert scores[f"{slot}_top1"] == 1.0
    assert scores["overall_top1"] == 0.0


def test_overall_needs_one_set_with_every_slot_right_not_a_union():
    # set 1 has the solvent right, set 2 the reagent: each slot is covered at top-2, overall is not
    a = canon(solvent1=THF, reagent1="CCO")
    b = canon(solvent1=DCM, reagent1=ET3N)
    scores = cond.slot_topk([a, b], GOLD, [2])
    assert scores["solvent1_top2"] == 1.0 and scores["reagent1_top2"] == 1.0
    assert scores["overall_top2"] == 0.0


def test_k_limits_which_sets_count():
    wrong = canon(solvent1=DCM)
    right = canon(solvent1=THF, reagent1=ET3N)
    ranked = [wrong, wrong, wrong, right]  # the right set is 4th
    scores = cond.slot_topk(ranked, GOLD, [1, 3, 5])
    assert scores["overall_top1"] == 0.0
    assert scores["overall_top3"] == 0.0
    assert scores["overall_top5"] == 1.0
    assert scores["reagent1_top3"] == 0.0 and scores["reagent1_top5"] == 1.0


def test_empty_slot_is_its_own_class():
    for empty in (None, "", "none", "None", float("nan")):
        assert cond.normalise_slot(empty).key == cond.EMPTY
    # predicting a catalyst where the data has none is wrong for that slot
    with_catalyst = canon(catalyst1="[Pd]", solvent1=THF, reagent1=ET3N)
    scores = cond.slot_topk([with_catalyst], GOLD, [1])
    assert scores["catalyst1_top1"] == 0.0 and scores["solvent1_top1"] == 1.0
    # leaving a slot empty where the data has a chemical is wrong too
    no_reagent = canon(solvent1=THF)
    assert cond.slot_topk([no_reagent], GOLD, [1])["reagent1_top1"] == 0.0


def test_chemicals_compared_by_canonical_smiles_and_names_are_wrong():
    # O1CCCC1 is THF written from the oxygen; fragment order of a salt does not matter
    assert cond.normalise_slot("O1CCCC1").key == cond.normalise_slot(THF).key
    assert cond.normalise_slot("[K+].[K+].O=C([O-])[O-]").key == cond.normalise_slot("O=C([O-])[O-].[K+].[K+]").key
    named = cond.normalise_slot("THF")  # T is no element symbol
    assert named.key is None and "invalid SMILES" in named.reason
    # an unusable slot never matches, not even an empty gold slot
    keys, reasons = cond.normalise_set({"solvent1": THF, "reagent1": ET3N, "catalyst1": 5})
    assert keys["catalyst1"] is None and reasons
    assert cond.slot_topk([keys], GOLD, [1])["catalyst1_top1"] == 0.0


# A tiny menu worked by hand: best yield 80 is reached by A and C (a tie).
MENU = {"A": 80.0, "B": 50.0, "C": 80.0, "D": 0.0}


def test_choice_metrics_by_hand():
    b = cond.choice_metrics(["B"], MENU, 2)
    assert b["top1_hit"] == 0.0 and b["top2_hit"] == 0.0
    assert b["normalised_yield"] == pytest.approx(50 / 80)
    assert b["regret"] == pytest.approx(30.0)
    # B beats only D (1 below, no other tie) among the other 3 options
    assert b["percentile"] == pytest.approx(1 / 3)
    a = cond.choice_metrics(["A"], MENU, 2)
    assert a["top1_hit"] == 1.0 and a["regret"] == 0.0 and a["normalised_yield"] == 1.0
    # A: 2 strictly below (B, D), tied with C -> (2 + 1/2) / 3
    assert a["percentile"] == pytest.approx(2.5 / 3)
    # top-2: B first, C second -> top-1 misses, top-2 hits; yield metrics use the first choice
    bc = cond.choice_metrics(["B", "B", "C"], MENU, 2)
    assert bc["top1_hit"] == 0.0 and bc["top2_hit"] == 1.0 and bc["yield"] == 50.0
    # beyond k nothing counts: D, B then the best C at position 3 with k=2
    assert cond.choice_metrics(["D", "B", "C"], MENU, 2)["top2_hit"] == 0.0


def test_failed_choice_scores_as_nothing_made():
    failed = cond.failed_metrics(MENU, 2)
    assert failed == {"top1_hit": 0.0, "top2_hit": 0.0, "normalised_yield": 0.0, "regret": 80.0,
                      "percentile": 0.0, "yield": 0.0}
    with pytest.raises(KeyError):
        cond.choice_metrics(["E"], MENU, 2)


def test_random_expectation_by_hand():
    exp = cond.random_expectation(MENU, 2)
    assert exp["top1_hit"] == pytest.approx(2 / 4)
    # no best among 2 drawn from 4 with 2 best: only {B, D}, 1 of C(4,2) = 6 pairs
    assert exp["top2_hit"] == pytest.approx(1 - 1 / 6)
    assert exp["yield"] == pytest.approx(210 / 4)
    assert exp["normalised_yield"] == pytest.approx(52.5 / 80)
    assert exp["regret"] == pytest.approx(80 - 52.5)
    assert exp["percentile"] == pytest.approx(0.5)


def test_random_expectation_equals_enumeration_of_every_ordered_draw():
    menu = {"a": 3.0, "b": 9.0, "c": 9.0, "d": 1.0, "e": 4.0}
    k = 3
    draws = list(itertools.permutations(menu, k))
    rows = [cond.choice_metrics(list(d), menu, k) for d in draws]
    exact = cond.random_expectation(menu, k)
    for name, value in exact.items():
        assert value == pytest.approx(sum(r[name] for r in rows) / len(rows)), name


def test_all_zero_menu_every_option_is_best():
    zero = {"A": 0.0, "B": 0.0}
    assert cond.best_options(zero) == ["A", "B"]
    m = cond.choice_metrics(["B"], zero, 1)
    assert m["top1_hit"] == 1.0 and m["normalised_yield"] == 1.0 and m["regret"] == 0.0


def test_best_global_condition_by_hand():
    items = [{"A": 80.0, "B": 50.0}, {"A": 10.0, "B": 20.0}]
    # means A 45, B 35 -> always A
    assert cond.best_global_option(items) == "A"
    rows = cond.baselines(items, 1)
    g = rows["best-global-condition"]
    assert g["top1_hit"] == pytest.approx(0.5)
    assert g["normalised_yield"] == pytest.approx((1.0 + 10 / 20) / 2)
    assert g["regret"] == pytest.approx((0 + 10) / 2)
    # leave-one-out: item 1 is answered from item 2 (B best there) and vice versa (A)
    loo = rows["best-global-condition-loo"]
    assert loo["normalised_yield"] == pytest.approx((50 / 80 + 10 / 20) / 2)
    assert loo["top1_hit"] == 0.0
    r = rows["random-choice (exact)"]
    assert r["top1_hit"] == pytest.approx(0.5)
    assert r["yield"] == pytest.approx((65 + 15) / 2)


def test_global_condition_falls_back_where_its_cell_was_not_measured():
    items = [{"A": 90.0, "B": 10.0}, {"A": 80.0, "B": 30.0}, {"B": 40.0}]
    # A's mean over the items that ran it is 85 > B's 26.7; item 3 never ran A -> B
    assert cond.best_global_option(items) == "A"
    g = cond.baselines(items, 1)["best-global-condition"]
    assert g["top1_hit"] == 1.0
    assert g["yield"] == pytest.approx((90 + 80 + 40) / 3)
    assert not math.isnan(g["percentile"])
