"""The Materials Project entries pymatgen ships, and the embedded benchmark built from them.

The file stores, for every entry, the hull distance Materials Project computed against its whole
database (``data["e_above_hull"]``). We recompute every hull distance from the 423 shipped entries
alone (MP2020 corrections, one phase diagram per chemical system) and report how many agree.
"""

from __future__ import annotations

import warnings

import pytest

from evalsuite.benchmarks.crystal import embedded, hull_cache
from evalsuite.scorers.materials import HullReference, shipped_entries

TOL = 1e-6  # eV/atom


@pytest.fixture(scope="module")
def recomputed():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = HullReference(shipped_entries(), mp2020=True)
        rows = [(e, reference.analyse(e)) for e in reference.entries]
    return reference, rows


def test_agreement_with_stored_hull_distances(recomputed):
    # Measured facts about pymatgen's shipped file, reported in scorers/materials.py and
    # benchmarks/crystal_stability.py: 371 of 423 agree (all 89 elements, 282 of 334 compounds).
    reference, rows = recomputed
    assert len(rows) == 423 and reference.dropped == []
    agree = [(e, p) for e, p in rows if abs(p.e_above_hull - e.data["e_above_hull"]) <= TOL]
    elements = [e for e, _ in rows if len(e.composition.elements) == 1]
    assert len(elements) == 89
    assert len(agree) == 371
    assert sum(1 for e, _ in agree if len(e.composition.elements) == 1) == 89


def test_every_disagreement_is_a_missing_competing_phase(recomputed):
    # A hull built over a subset of the phases lies on or above the hull over all of them, so
    # an entry's distance to the shipped-set hull can only be <= its distance to the full
    # Materials Project hull. Any disagreement in the other direction would be a bug.
    _, rows = recomputed
    disagree = [(e, p) for e, p in rows if abs(p.e_above_hull - e.data["e_above_hull"]) > TOL]
    assert len(disagree) == 52
    assert all(p.e_above_hull < e.data["e_above_hull"] for e, p in disagree)


def test_rbf_shows_why(recomputed):
    # The shipped Rb-F system is Rb, F and RbF only. A single binary compound with a negative
    # formation energy is always a vertex of the lower hull, so RbF must come out stable here;
    # Materials Project stored 0.099 eV/atom because its database holds a lower Rb-F phase.
    reference, rows = recomputed
    members = reference.phase_diagram("F-Rb").all_entries
    assert sorted(e.composition.reduced_formula for e in members) == ["F2", "Rb", "RbF"]
    entry, point = next((e, p) for e, p in rows if e.composition.reduced_formula == "RbF")
    assert point.e_form_per_atom < 0
    assert point.e_above_hull == 0.0
    assert entry.data["e_above_hull"] == pytest.approx(0.0995, abs=1e-3)


def test_formation_energy_is_energy_minus_elemental_references(recomputed):
    # E_f per atom = (E(GaTe cell) - n_Ga * E_Ga/atom - n_Te * E_Te/atom) / N, with the
    # (corrected) energies of the shipped entries and the elements' lowest energies per atom.
    reference, rows = recomputed
    by_formula = {e.composition.reduced_formula: e for e in reference.entries}
    gate, ga, te = by_formula["GaTe"], by_formula["Ga"], by_formula["Te"]
    n_ga, n_te = gate.composition["Ga"], gate.composition["Te"]
    expected = (gate.energy - n_ga * ga.energy_per_atom - n_te * te.energy_per_atom) / (n_ga + n_te)
    point = next(p for e, p in rows if e is gate)
    assert point.e_form_per_atom == pytest.approx(expected, abs=1e-9)


def test_embedded_self_consistent_set(recomputed):
    materials = embedded.self_consistent_materials()
    assert len(materials) == 282
    ids = [m.material_id for m in materials]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(m.n_elements >= 2 for m in materials)
    stored = {str(e.entry_id): e.data["e_above_hull"] for e in shipped_entries()}
    assert all(abs(m.e_above_hull - stored[m.material_id]) <= TOL for m in materials)
    # the same numbers as the hull recomputed here, in this process, by the fixture
    _, rows = recomputed
    by_id = {str(e.entry_id): p for e, p in rows}
    for m in materials:
        assert m.e_above_hull == by_id[m.material_id].e_above_hull
        assert m.e_form_per_atom == by_id[m.material_id].e_form_per_atom
    # unstable members carry their decomposition into other phases; fractions sum to 1
    unstable = [m for m in materials if not m.stable]
    assert len(unstable) == 282 - 273
    for m in unstable:
        assert m.formula not in m.decomposition
        assert sum(m.decomposition.values()) == pytest.approx(1.0)


def test_embedded_stored_set_is_every_compound_with_mp_truth():
    # classify / e-above-hull truth: Materials Project's stored hull distance, all 334 compounds
    materials = embedded.stored_materials()
    entries = [e for e in shipped_entries() if len(e.composition.elements) >= 2]
    assert len(materials) == len(entries) == 334
    stored = {str(e.entry_id): float(e.data["e_above_hull"]) for e in entries}
    assert {m.material_id: m.e_above_hull for m in materials} == stored
    assert sum(1 for m in materials if not m.stable) == sum(1 for v in stored.values() if v > 0) == 61


def test_hull_cache_is_reused_and_keyed(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path))
    key = embedded.hull_key()
    assert hull_cache.load(key) is None
    rows = embedded.hull_rows()  # built, then stored
    path = hull_cache.cache_file(key)
    assert path.is_file() and hull_cache.load(key) == rows
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind
    # another pymatgen version or another data file is another key: a miss, not a stale hit
    assert hull_cache.load(hull_cache.key_of("0" * 64, "2023.5.10")) is None
    # a corrupt file is a miss (rebuilt), never an error
    path.write_text("{not json")
    assert hull_cache.load(key) is None
    assert embedded.hull_rows() == rows and hull_cache.load(key) == rows


def test_hull_cache_never_follows_a_symlink(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    key = hull_cache.key_of("a" * 64, "1")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path = hull_cache.cache_file(key)
    path.parent.mkdir(parents=True)
    path.symlink_to(victim)
    assert hull_cache.load(key) is None  # not read through the link
    assert hull_cache.store(key, [{"a": 1}]) == path
    assert victim.read_text() == "keep me"  # the link was replaced, the target untouched
    assert not path.is_symlink() and hull_cache.load(key) == [{"a": 1}]


HULL_MODULES = """
import sys
from evalsuite.benchmarks.crystal_stability import CrystalStability
for mode in sys.argv[1:]:
    next(CrystalStability({"mode": mode}).samples(None, 0, 1))
print(sorted(m for m in sys.modules if m in ("pymatgen.analysis.phase_diagram", "pymatgen.entries.compatibility")))
"""


def test_no_hull_is_built_where_none_is_needed(tmp_path):
    # classify / e-above-hull need no hull: no phase-diagram or correction code is even imported;
    # formation-energy mode builds hulls once, and a later process reads them from the cache
    import subprocess
    import sys

    env = {**__import__("os").environ, "EVALSUITE_CACHE": str(tmp_path)}

    def loaded(*modes):
        done = subprocess.run([sys.executable, "-c", HULL_MODULES, *modes], capture_output=True, text=True,
                              env=env, check=True, timeout=120)
        return done.stdout.strip()

    assert loaded("classify", "e-above-hull") == "[]"
    assert loaded("formation-energy") != "[]"  # cold cache: built here
    assert len(list((tmp_path / "crystal").glob("hulls-*.json"))) == 1
    assert loaded("formation-energy") == "[]"  # warm cache: read, not built
