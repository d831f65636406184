"""Convex-hull thermodynamics on a binary system worked out on paper, and MP2020 corrections."""

from __future__ import annotations

import pytest
from pymatgen.analysis.phase_diagram import PDEntry
from pymatgen.core import Composition
from pymatgen.entries.computed_entries import ComputedEntry

from evalsuite.scorers.materials import HullReference, apply_mp2020, chemical_system

# Hand-worked binary A-B system, A = Li, B = Br (the energies are invented; only the geometry
# matters). x = atom fraction of B. Elemental references: A at -2 eV/atom, B at -3 eV/atom, so
# the total energy per atom of a phase is (1-x)(-2) + x(-3) + Ef, with Ef its formation energy.
#
#   phase  x     Ef (eV/atom)
#   A      0      0
#   A2B    1/3   -0.60
#   AB     1/2   -1.00
#   AB2    2/3   -0.80
#   AB3    3/4   -0.50
#   B      1      0
#
# Lower hull in the (x, Ef) plane:
# - A -> AB: line Ef = -2x. A2B at x=1/3: hull -2/3, A2B lies 0.0667 (= 1/15) above it.
#   Decomposition by the lever rule: AB atom fraction f with f * 1/2 = 1/3 -> f = 2/3, A 1/3.
# - AB -> B would be Ef = -2 + 2x, i.e. -2/3 at x=2/3; AB2 at -0.8 is below, so AB2 is on the
#   hull. Check AB stays on it: line A -> AB2 is Ef = -1.2x, -0.6 at x=1/2, above AB's -1.0.
# - AB2 -> B: slope 0.8 / (1/3) = 2.4, Ef(3/4) = -0.8 + 2.4 * (3/4 - 2/3) = -0.6. AB3 at -0.5
#   lies 0.1 above. Lever rule: B atom fraction f with (1-f) * 2/3 + f = 3/4 -> f = 1/4, AB2 3/4.
# Stable: A, AB, AB2, B (hull distance 0, each decomposes into itself).
# Candidates outside the reference set:
# - A3B at x=1/4 with Ef = -0.7: hull there is -0.5 (A -> AB), so -0.2 (below the hull);
#   decomposition 1/2 A + 1/2 AB.
# - a polymorph of AB with Ef = -0.9: 0.1 above, decomposes into AB alone.

REF_A, REF_B = -2.0, -3.0


def entry(formula: str, e_form: float) -> PDEntry:
    comp = Composition(formula)
    x = comp.get_atomic_fraction("Br")
    per_atom = (1 - x) * REF_A + x * REF_B + e_form
    return PDEntry(comp, per_atom * comp.num_atoms, name=formula)


@pytest.fixture(scope="module")
def reference() -> HullReference:
    phases = [("Li", 0.0), ("Li2Br", -0.6), ("LiBr", -1.0), ("LiBr2", -0.8), ("LiBr3", -0.5),
              ("Br", 0.0)]
    return HullReference([entry(f, e) for f, e in phases], mp2020=False)


@pytest.mark.parametrize(
    "formula, e_form, e_above_hull, decomposition",
    [
        ("Li", 0.0, 0.0, {"Li": 1.0}),
        ("LiBr", -1.0, 0.0, {"LiBr": 1.0}),
        ("LiBr2", -0.8, 0.0, {"LiBr2": 1.0}),
        ("Li2Br", -0.6, 1 / 15, {"Li": 1 / 3, "LiBr": 2 / 3}),
        ("LiBr3", -0.5, 0.1, {"LiBr2": 3 / 4, "Br": 1 / 4}),
        ("Li3Br", -0.7, -0.2, {"Li": 1 / 2, "LiBr": 1 / 2}),
        ("LiBr", -0.9, 0.1, {"LiBr": 1.0}),
    ],
)
def test_hand_worked_binary_hull(reference, formula, e_form, e_above_hull, decomposition):
    point = reference.analyse(entry(formula, e_form))
    assert point.e_above_hull == pytest.approx(e_above_hull, abs=1e-9)
    assert point.e_form_per_atom == pytest.approx(e_form, abs=1e-9)
    assert point.decomposition.keys() == decomposition.keys()
    for name, fraction in decomposition.items():
        assert point.decomposition[name] == pytest.approx(fraction, abs=1e-9)
    assert point.stable == (e_above_hull <= 0)


def test_one_cached_diagram_per_chemical_system(reference):
    first = reference.phase_diagram("Br-Li")
    assert reference.phase_diagram("Br-Li") is first
    # the unary sub-system is its own diagram, holding only the Li entry
    assert len(reference.phase_diagram("Li").all_entries) == 1


def test_chemical_system_key_is_sorted_symbols():
    assert chemical_system(Composition("Fe2O3")) == "Fe-O"
    assert chemical_system(Composition("LiFePO4")) == "Fe-Li-O-P"


def test_missing_elemental_reference_is_a_clear_error(reference):
    with pytest.raises(ValueError, match="no elemental reference entry for Na"):
        reference.analyse(entry("NaBr", -1.0))


def test_mp2020_corrects_raw_gga_plus_u_oxide():
    # MP2020 (Wang et al., Sci. Rep. 2021; MP2020Compatibility.yaml): oxide anion correction
    # -0.687 eV per O atom and Fe GGA+U correction -2.256 eV per Fe atom in an oxide.
    # Fe4O6: 6 * -0.687 + 4 * -2.256 = -4.122 - 9.024 = -13.146 eV.
    raw = ComputedEntry(
        "Fe4O6", -67.4927644, entry_id="fe2o3",
        parameters={"run_type": "GGA+U", "is_hubbard": True, "hubbards": {"Fe": 5.3, "O": 0.0},
                    "potcar_symbols": ["PBE Fe_pv", "PBE O"], "oxide_type": "oxide"},
        data={"oxide_type": "oxide"},
    )
    kept, dropped = apply_mp2020([raw])
    assert dropped == []
    assert kept[0].correction == pytest.approx(-13.146, abs=1e-3)
    assert raw.correction == 0.0  # the input entry is left untouched


def test_mp2020_refuses_a_run_type_it_does_not_support():
    odd = ComputedEntry("Fe", -8.0, entry_id="weird", parameters={"run_type": "HF",
                                                                   "is_hubbard": False})
    kept, dropped = apply_mp2020([odd])
    assert kept == [] and dropped == ["weird"]
