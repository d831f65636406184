"""Parsing model answers: energies with units, stability labels, formulas and structures."""

from __future__ import annotations

import pytest

from evalsuite.scorers.materials import parse_composition, parse_energy, parse_stability, parse_structure

from .conftest import NACL_CIF


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0.05 eV/atom", 0.05),
        ("50 meV/atom", 0.05),  # 1 meV = 1e-3 eV
        ("-0.1", -0.1),  # a bare number is read in the unit the prompt asks for, eV/atom
        ("\u22120.1 eV/atom", -0.1),  # unicode minus sign
        ("about 12 meV per atom", 0.012),
        ("1e-3 eV/atom", 0.001),
        ("0.05eV/atom", 0.05),
        # 1 eV per atom = 96.485 kJ per mol of atoms (Faraday constant)
        ("-9.6485 kJ/mol", -9.6485 / 96.48533212),
        # 1 kcal = 4.184 kJ
        ("-2.306 kcal/mol", -2.306 * 4.184 / 96.48533212),
        # digits inside a formula are not numbers; the number with a unit wins
        ("Fe2O3 lies 0.02 eV/atom above the hull", 0.02),
        ("The hull distance of Ca3(PO4)2 is 0.", 0.0),
    ],
)
def test_energy_parsed_to_ev_per_atom(text, expected):
    parsed = parse_energy(text)
    assert parsed.ok, parsed.reason
    assert parsed.value == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("The material is unstable.", "no number"),
        ("", "empty"),
        ("0.3 eV/f.u.", "per formula unit"),
        ("-1.2 eV per formula unit", "per formula unit"),
    ],
)
def test_energy_rejected_with_reason(text, reason):
    parsed = parse_energy(text)
    assert not parsed.ok and parsed.value is None
    assert reason in parsed.reason


@pytest.mark.parametrize(
    "text, stable",
    [
        ("The material is unstable.", False),
        ("stable", True),
        ("It is thermodynamically stable.", True),
        ("It lies on the convex hull.", True),
        ("It is not stable.", False),
        ("It isn't on the hull", False),
        ("metastable: 20 meV above", False),
        ("It sits above the hull", False),
        ("Yes", True),
        ("No.", False),
        ("At first sight unstable, but after checking: stable", True),  # the last call wins
        ("It is not unstable", True),
    ],
)
def test_stability_labels(text, stable):
    parsed = parse_stability(text)
    assert parsed.ok, parsed.reason
    assert parsed.value is stable


@pytest.mark.parametrize("text", ["", "0.05 eV/atom", "I cannot determine"])
def test_stability_rejected(text):
    assert not parse_stability(text).ok


@pytest.mark.parametrize(
    "text, amounts",
    [
        ("Fe2O3", {"Fe": 2, "O": 3}),
        ("Ca3(PO4)2", {"Ca": 3, "P": 2, "O": 8}),  # the group counts twice: P 2, O 2 * 4
        ("Li0.5Fe0.5PO4", {"Li": 0.5, "Fe": 0.5, "P": 1, "O": 4}),
        ("Fe2 O3", {"Fe": 2, "O": 3}),
    ],
)
def test_composition_parsed(text, amounts):
    parsed = parse_composition(text)
    assert parsed.ok, parsed.reason
    assert {el.symbol: amt for el, amt in parsed.value.items()} == pytest.approx(amounts)


def test_reduced_forms_are_the_same_composition():
    assert parse_composition("Fe4O6").value.reduced_formula == "Fe2O3"


@pytest.mark.parametrize("text", ["Xx2O", "", "fe2o3", "Fe2O3)", "LiFePO4 is stable", "2"])
def test_composition_rejected(text):
    parsed = parse_composition(text)
    assert not parsed.ok and parsed.reason


# bcc iron, conventional cubic cell: 2 atoms, a = 2.87 A
FE_POSCAR = """Fe bcc
1.0
2.87 0 0
0 2.87 0
0 0 2.87
Fe
2
Direct
0 0 0
0.5 0.5 0.5
"""


def test_cif_parsed():
    parsed = parse_structure(NACL_CIF)
    assert parsed.ok, parsed.reason
    assert parsed.value.composition.reduced_formula == "NaCl"
    assert len(parsed.value) == 8
    assert parsed.value.lattice.a == pytest.approx(5.64)


def test_poscar_parsed():
    parsed = parse_structure(FE_POSCAR)
    assert parsed.ok, parsed.reason
    assert parsed.value.composition.reduced_formula == "Fe"
    assert parsed.value.volume == pytest.approx(2.87**3)


@pytest.mark.parametrize("text", ["", "data_x\n_cell_length_a 5\nloop_\n garbage", "not a structure"])
def test_broken_structure_is_a_reason(text):
    parsed = parse_structure(text)
    assert not parsed.ok and parsed.reason
