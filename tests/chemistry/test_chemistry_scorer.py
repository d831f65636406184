"""evalsuite.scorers.chemistry: match modes, similarity and guard rails, on hand-worked molecules."""

from __future__ import annotations

import time

import pytest

from evalsuite.scorers import chemistry
from evalsuite.scorers.chemistry import (
    canonical_smiles,
    compare,
    match_key,
    parse,
    same_molecules,
    tanimoto,
)


def test_fragment_order_and_atom_maps_do_not_matter():
    # Acetic acid + ethanol, once atom-mapped in one order, once plain in the other order.
    mapped = "[CH3:1][C:2](=[O:3])[OH:4].[CH3:5][CH2:6][OH:7]"
    for mode in chemistry.MATCH_MODES:
        assert same_molecules(mapped, "OCC.CC(O)=O", mode), mode


def test_canonical_smiles_keeps_its_contract():
    # Ethanol's RDKit canonical SMILES is "CCO" whatever atom order it is written in.
    assert canonical_smiles("OCC") == chemistry.Canonical("CCO")
    assert canonical_smiles("[OH:2][CH2:1]C").smiles == "CCO"
    # Sorted fragments, '.'-joined: "CC(=O)O" < "CCO" as strings.
    assert canonical_smiles("OCC.OC(C)=O").smiles == "CC(=O)O.CCO"
    assert "@" not in canonical_smiles("C[C@H](N)O", stereo=False).smiles
    bad = canonical_smiles("C1CC")
    assert not bad.ok and "invalid SMILES" in bad.reason


def test_enantiomers_differ_in_exact_and_match_without_stereo():
    a, b = "C[C@H](N)O", "C[C@@H](N)O"  # the two enantiomers of 1-aminoethanol
    assert not same_molecules(a, b, "exact")
    assert same_molecules(a, b, "no-stereo")
    assert not same_molecules(a, b, "inchikey")  # the standard InChI keeps the /t stereo layer
    assert not same_molecules(a, b, "largest-fragment")


def test_hydroxypyridine_and_pyridone_match_only_by_inchikey():
    # 2-hydroxypyridine and 2-pyridone are tautomers: the H moves between O and ring N, which
    # standard InChI treats as one mobile-H structure; SMILES keys see two structures.
    a, b = "Oc1ccccn1", "O=c1cccc[nH]1"
    assert same_molecules(a, b, "inchikey")
    for mode in ("exact", "no-stereo", "largest-fragment"):
        assert not same_molecules(a, b, mode), mode


def test_largest_fragment_compares_only_the_biggest_molecule():
    # Heavy atoms: benzylamine 8, triethylamine 7, acetyl chloride 4: benzylamine is largest
    # on both sides, so MaxFrag matches while the full sets differ.
    gold, pred = "CC(=O)Cl.NCc1ccccc1", "NCc1ccccc1.CCN(CC)CC"
    assert same_molecules(gold, pred, "largest-fragment")
    assert not same_molecules(gold, pred, "exact")
    assert match_key(parse(gold), "largest-fragment").items == ("NCc1ccccc1",)


def test_missing_and_extra_molecules_are_named():
    gold = match_key(parse("CC(=O)O.CCO"), "exact")
    missing = compare(match_key(parse("CC(=O)O"), "exact"), gold)
    assert missing == "missing CCO"
    extra = compare(match_key(parse("CC(=O)O.CCO.O"), "exact"), gold)
    assert extra == "extra O"
    assert compare(match_key(parse("OCC.CC(O)=O"), "exact"), gold) is None
    assert "invalid SMILES" in compare(match_key(parse("CC(=O"), "exact"), gold)


def test_tanimoto_on_hand_counted_bits():
    # Morgan bits: methane has one environment (a degree-0 carbon); water one (a degree-0
    # oxygen); no bond, so no radius-1 environment. Set fingerprints are bit unions:
    # T(C, C.O) = |{c}| / |{c, o}| = 1/2; T(C, O) = 0; T(C, C.C) = 1.
    assert tanimoto(parse("C"), parse("C.O")) == pytest.approx(0.5)
    assert tanimoto(parse("C"), parse("O")) == 0.0
    assert tanimoto(parse("C"), parse("C.C")) == 1.0
    assert tanimoto(parse("CC(=O)O.CCO"), parse("OCC.OC(C)=O")) == 1.0
    assert tanimoto(parse("not a smiles"), parse("C")) == 0.0


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("C" * 5000, "longer than"),  # a 5,000-atom chain: refused by length before RDKit
        ("C" * 600, "more than 500 atoms"),  # under the length cap, over the atom cap
        ("C C", "whitespace"),
        ("c1cccc1", "invalid SMILES"),  # five aromatic carbons cannot be kekulized
        ("C(C)(C)(C)(C)C", "invalid SMILES"),  # pentavalent carbon
        ("\x00\xff\x13garbage", "invalid SMILES"),
    ],
)
def test_invalid_input_has_a_reason_and_is_fast(text, reason):
    start = time.perf_counter()
    parsed = parse(text)
    assert time.perf_counter() - start < 1.0
    assert not parsed.ok and reason in parsed.reason
    for mode in chemistry.MATCH_MODES:
        assert not match_key(parsed, mode).ok


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown match mode"):
        match_key(parse("C"), "fuzzy")
