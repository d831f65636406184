"""Route scoring, hand-worked: formats, validity, stock levels, signatures and PaRoutes' definitions.

Expected values are worked out by hand in each test (costs, ranks, leaf overlaps) or follow from
the definitions in issue 18, never from the scorer's own output.
"""

from __future__ import annotations

import pytest

from evalsuite.scorers import routes

# Paracetamol in two steps: 4-nitrophenol -> 4-aminophenol -> paracetamol.
TARGET = "CC(=O)Nc1ccc(O)cc1"
NITRO, AMINO, H2, AC2O = "O=[N+]([O-])c1ccc(O)cc1", "Nc1ccc(O)cc1", "[H][H]", "CC(=O)OC(C)=O"
STEPS = [f"{NITRO}.{H2}>>{AMINO}", f"{AMINO}.{AC2O}>>{TARGET}"]
NESTED = {"smiles": TARGET, "children": [{"smiles": AMINO, "children": [{"smiles": NITRO}, {"smiles": H2}]},
                                         {"smiles": AC2O}]}
# The same route in the PaRoutes / AiZynthFinder format, SMILES written differently, reactants reordered,
# and a reaction node carrying a mapped SMARTS that must be ignored.
BIPARTITE = {"type": "mol", "smiles": "O=C(C)Nc1ccc(O)cc1", "in_stock": False, "children": [
    {"type": "reaction", "smiles": "[C:1]>>[C:1]", "children": [
        {"type": "mol", "smiles": "CC(=O)OC(=O)C", "in_stock": True},
        {"type": "mol", "smiles": "Oc1ccc(N)cc1", "children": [
            {"type": "reaction", "children": [{"type": "mol", "smiles": "[HH]"},
                                              {"type": "mol", "smiles": "[O-][N+](=O)c1ccc(O)cc1"}]}]}]}]}


def stock_of(*smiles: str) -> routes.Stock:
    return routes.Stock({routes.inchikey(s): s for s in smiles})


STOCK = stock_of(NITRO, H2, AC2O, "CC(=O)Cl")


def grade(*candidates, reference=None, stock=STOCK, level="full", ranking="model"):
    tree = [{"route": routes.to_tree(c, TARGET)} if not isinstance(c, str) or ">" in c else {"invalid": c}
            for c in candidates]
    ref_mol, graded = routes.grade(tree, reference or NESTED, TARGET, stock, level)
    return graded, routes.target_metrics(graded, ref_mol, ranking)


def test_a_correct_route_is_solved_and_matches_at_rank_1():
    _graded, values = grade(STEPS)
    assert values["solved"] == values["solved_top_1"] == values["route_top_1"] == 1.0
    assert values["mrr_solved"] == 1.0 and values["route_validity"] == 1.0 and values["step_validity"] == 1.0
    assert values["n_steps"] == 2 and values["longest_linear_route"] == 2 and values["n_leaves"] == 3
    assert values["leaf_overlap"] == 1.0 and values["length_difference"] == 0


def test_reordered_reactants_and_other_spellings_still_match():
    reordered = [f"{H2}.{NITRO}>>{AMINO}", f"{AC2O}.Oc1ccc(N)cc1>>O=C(C)Nc1ccc(O)cc1"]
    _, values = grade(reordered)
    assert values["route_top_1"] == 1.0 and values["solved"] == 1.0


def test_the_three_formats_give_one_tree_and_one_signature():
    signatures = set()
    for raw in (STEPS, NESTED, BIPARTITE):
        mol, _ = routes.reference_route(routes.to_tree(raw, TARGET))
        signatures.add(routes.signature(mol))
        assert mol.smiles == TARGET and routes.n_steps(mol) == 2
    assert len(signatures) == 1
    # and retrocast's own signature match agrees: each format matches the others as reference
    for reference in (STEPS, BIPARTITE):
        _, values = grade(NESTED, reference=routes.to_tree(reference, TARGET))
        assert values["route_top_1"] == 1.0


def test_exact_match_agrees_with_retrocasts_exact_mode():
    """The scorer derives exact matches from one prefix-mode pass; retrocast's exact mode must agree."""
    import retrocast

    reference = routes.to_tree(STEPS, TARGET)
    deeper = {"smiles": TARGET, "children": [
        {"smiles": AMINO, "children": [{"smiles": NITRO, "children": [{"smiles": "Oc1ccccc1"},
                                                                     {"smiles": "O=[N+]([O-])O"}]},
                                       {"smiles": H2}]}, {"smiles": AC2O}]}
    shorter = {"smiles": TARGET, "children": [{"smiles": AMINO}, {"smiles": AC2O}]}
    candidates = [reference, deeper, shorter, BIPARTITE]
    _, graded = routes.grade([{"route": routes.to_tree(c, TARGET)} for c in candidates], reference, TARGET, STOCK)
    ref_route = retrocast.adapt([reference], "dms")[0]["route"]
    task = {"name": "t", "targets": {"t": {"id": "t", "smiles": TARGET, "inchikey": routes.inchikey(TARGET),
                                           "acceptable_routes": [ref_route]}}}
    raw = {"t": [{"smiles": c["smiles"], "children": c["children"]} for c in
                 (routes.to_tree(c, TARGET) for c in candidates)]}
    for mode, ours in (("exact", [g.exact for g in graded]), ("prefix", [g.prefix for g in graded])):
        scored = retrocast.score(retrocast.ingest(raw, "dms", task), task, {}, acceptable_route_match=mode)
        theirs = [bool(c.get("matches_acceptable")) for c in scored.to_dict()["targets"]["t"]["candidates"]]
        assert ours == theirs, mode
    assert [g.exact for g in graded] == [True, False, False, True]
    assert [g.prefix for g in graded] == [True, True, False, True]


def test_signature_changes_with_a_different_leaf_and_keeps_multiplicity():
    a, _ = routes.reference_route(routes.to_tree(STEPS, TARGET))
    b, _ = routes.reference_route(routes.to_tree([f"{NITRO}.{H2}>>{AMINO}", f"{AMINO}.CC(=O)Cl>>{TARGET}"], TARGET))
    assert routes.signature(a) != routes.signature(b)
    assert routes.signature(a, depth=1) != routes.signature(a)  # the prefix stops at the intermediate


def test_a_leaf_outside_the_stock_is_not_solved():
    graded, values = grade([f"{NITRO}.{H2}>>{AMINO}", f"{AMINO}.CC(=O)OC(=O)CC>>{TARGET}"])
    assert values["solved"] == 0.0 and values["stock_terminated"] == 0.0
    assert values["route_validity"] == 1.0 and values["step_validity"] == 1.0
    assert graded[0].missing == ["CCC(=O)OC(C)=O"]
    assert "not in stock" in routes.explain(graded, values, "model")


def test_a_stock_holding_none_of_the_leaves_solves_nothing():
    _ref, graded = routes.grade([{"route": NESTED}], NESTED, TARGET, stock_of("CCCC"))
    assert not graded[0].stock_terminated and graded[0].missing == sorted([NITRO, H2, AC2O])
    _, graded = routes.grade([{"route": {"smiles": TARGET, "children": []}}], NESTED, TARGET, STOCK)
    assert not graded[0].stock_terminated and graded[0].missing == [TARGET]  # target as its own leaf


def test_a_step_making_an_element_from_nothing_fails_the_route():
    # chlorine appears in the product of step 2, but neither reactant has any
    chloro = "CC(=O)Nc1ccc(O)cc1Cl"
    bad = routes.to_tree([f"{NITRO}.{H2}>>{AMINO}", f"{AMINO}.{AC2O}>>{chloro}"], chloro)
    ref, graded = routes.grade([{"route": bad}], bad, chloro, STOCK)
    values = routes.target_metrics(graded, ref)
    assert values["solved"] == 0.0 and values["step_validity"] == 0.5
    assert values["stock_terminated"] == 1.0  # purchasable, but not a valid route
    assert "Cl absent from its reactants" in routes.explain(graded, values, "model")


def test_a_bond_forming_step_is_valid_and_imbalance_is_recorded_not_failed():
    # a Diels-Alder: the product is a substructure of neither reactant, and that is fine
    check = routes.check_step(routes.reference_route({"smiles": "C1=CCCCC1", "children": [
        {"smiles": "C=CC=C"}, {"smiles": "C=C"}]})[0])
    assert check.ok and check.heavy_atom_excess == 0
    # 2 PhCHO -> benzoin written with one benzaldehyde: valid, 7 heavy atoms unaccounted
    check = routes.check_step(routes.reference_route({"smiles": "O=C(c1ccccc1)C(O)c1ccccc1", "children": [
        {"smiles": "O=Cc1ccccc1"}]})[0])
    assert check.ok and check.heavy_atom_excess == 8  # 16 heavy atoms made, 8 supplied


def test_a_route_whose_root_is_not_the_target_is_invalid():
    graded, values = grade([f"{NITRO}.{H2}>>{AMINO}"])
    assert values["route_validity"] == 0.0 and values["solved"] == 0.0
    assert "is not the target" in (graded[0].reason or "")


@pytest.mark.parametrize("cyclic", [
    {"smiles": TARGET, "children": [{"smiles": AMINO, "children": [{"smiles": TARGET, "children": [
        {"smiles": AMINO}, {"smiles": AC2O}]}]}, {"smiles": AC2O}]},
    [f"{TARGET}>>{AMINO}", f"{AMINO}.{AC2O}>>{TARGET}"],
])
def test_a_cyclic_route_is_refused_with_a_reason(cyclic):
    try:
        tree = routes.to_tree(cyclic, TARGET)
    except routes.RouteError as exc:  # a step list's cycle is found while joining the steps
        assert "cycle" in str(exc)
        return
    graded, values = grade(tree)
    assert values["route_validity"] == 0.0 and "cycle" in (graded[0].reason or "")


@pytest.mark.parametrize("raw, reason", [
    ({"smiles": TARGET, "children": [{"type": "reaction", "children": []}]}, "no reactants"),
    ({"type": "mol", "smiles": TARGET, "children": [{"type": "reaction", "children": [{"smiles": AMINO}]},
                                                    {"type": "reaction", "children": [{"smiles": NITRO}]}]},
     "made by 2 reactions"),
    ([f"{NITRO}>>{AMINO}", f"{H2}>>{AMINO}", f"{AMINO}>>{TARGET}"], "made by two steps"),
    (["C" * 5000 + ">>" + TARGET], "longer than 2000"),
    ("not a route", "not a route"),
])
def test_malformed_routes_are_refused_before_rdkit(raw, reason):
    with pytest.raises(routes.RouteError, match=reason):
        routes.to_tree(raw, TARGET)


def test_depth_is_bounded_at_ten_reactions():
    chain = [f"{'C' * (i + 1)}O>>{'C' * (i + 2)}O" for i in range(11)]
    with pytest.raises(routes.RouteError, match="deeper than 10"):
        routes.to_tree(chain, "C" * 12 + "O")
    node = {"smiles": "CO"}
    for i in range(200):
        node = {"smiles": "C" * (i + 2) + "O", "children": [node]}
    with pytest.raises(routes.RouteError, match="deeper than 10"):
        routes.to_tree(node)


def test_a_valence_error_fails_only_its_candidate():
    pentavalent = "CC(C)(C)(C)C"
    with pytest.raises(routes.RouteError, match="invalid SMILES"):
        routes.to_tree([f"{pentavalent}>>{AMINO}", STEPS[1]], TARGET)
    graded, values = grade({"smiles": TARGET, "children": [{"smiles": pentavalent}]}, STEPS)
    assert [g.valid for g in graded] == [False, True] and values["solved"] == 1.0
    assert "chem" in (graded[0].reason or "") or "valence" in (graded[0].reason or "")


def test_a_failed_candidate_keeps_its_rank():
    graded, values = grade("unreadable", STEPS)
    assert [g.valid for g in graded] == [False, True]
    assert values["solved"] == 1.0 and values["solved_top_1"] == 0.0 and values["mrr_solved"] == 0.5
    assert values["route_validity"] == 0.5 and values["route_top_1"] == 1.0  # first stock-terminated one


def test_stock_levels_follow_inchikey_blocks():
    stereo_target = "C[C@H](N)C(=O)NC"
    stock = stock_of("CC(N)C(=O)O", "CN")  # alanine without stereo
    ref = {"smiles": stereo_target, "children": [{"smiles": "C[C@H](N)C(=O)O"}, {"smiles": "CN"}]}
    results = {}
    for level in routes.LEVELS:
        _mol, graded = routes.grade([{"route": ref}], ref, stereo_target, stock, level)
        results[level] = graded[0].stock_terminated
    assert results == {"full": False, "no-stereo": True, "connectivity": True}
    # a charge lives in the InChIKey's last letter: only the connectivity block ignores it
    assert stock_of("CC(=O)[O-]").contains(routes.inchikey("CC(=O)O"), "connectivity")
    assert not stock_of("CC(=O)[O-]").contains(routes.inchikey("CC(=O)O"), "no-stereo")


def test_badowski_cost_and_dense_ranks_by_hand():
    mol, _ = routes.reference_route(routes.to_tree(STEPS, TARGET))
    keys = {routes.inchikey(s) for s in (NITRO, H2, AC2O)}
    # amine: 1 + (1 + 1) / 0.8 = 3.5; target: 1 + (3.5 + 1) / 0.8 = 6.625
    assert routes.route_cost(mol, keys) == pytest.approx(6.625)
    # H2 not in stock: amine 1 + (1 + 10) / 0.8 = 14.75; target 1 + (14.75 + 1) / 0.8 = 20.6875
    assert routes.route_cost(mol, keys - {routes.inchikey(H2)}) == pytest.approx(20.6875)
    assert routes.dense_ranks([3.0, 1.0, 3.0 + 1e-10, 2.0]) == [3, 1, 3, 2]


def test_paroutes_ranking_reorders_by_cost_and_shares_ties():
    longer = [f"{NITRO}.{H2}>>{AMINO}", f"{AMINO}.CC(=O)O>>{TARGET}"]  # acetic acid not in stock: 1 + (3.5 + 10) / 0.8 = 17.875 > 6.625
    _, model = grade(longer, STEPS)
    _, paroutes = grade(longer, STEPS, ranking="paroutes")
    # model order: rank 1 is not stock-terminated, so it is not solved, and the match window
    # (the first k stock-terminated candidates, as retrocast counts) starts at rank 2
    assert model["solved_top_1"] == 0.0 and model["mrr_solved"] == 0.5 and model["route_top_1"] == 1.0
    assert paroutes["route_top_1"] == 1.0 and paroutes["solved_top_1"] == 1.0 and paroutes["mrr_solved"] == 1.0


def test_leaf_overlap_and_longest_linear_route_by_hand():
    convergent = {"smiles": "CC(=O)OCC", "children": [
        {"smiles": "CC(=O)Cl", "children": [{"smiles": "CC(=O)O"}, {"smiles": "O=S(Cl)Cl"}]},
        {"smiles": "CCO", "children": [{"smiles": "C=C"}, {"smiles": "O"}]}]}
    mol, _ = routes.reference_route(convergent)
    assert routes.is_convergent(mol) and routes.longest_linear_route(mol) == 2 and routes.n_steps(mol) == 3
    linear, _ = routes.reference_route({"smiles": "CC(=O)OCC", "children": [{"smiles": "CC(=O)Cl"}, {
        "smiles": "CCO", "children": [{"smiles": "C=C"}, {"smiles": "O"}]}]})
    assert not routes.is_convergent(linear)
    # leaves {AcOH, SOCl2, ethylene, water} vs {AcCl, ethylene, water}: 2 shared / ((4 + 3) / 2)
    assert routes.leaf_overlap(mol, linear) == pytest.approx(2 / 3.5)
