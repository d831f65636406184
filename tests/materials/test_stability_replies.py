"""Stability replies graded as a chemist reads them: 48 real-looking replies to the classify
prompt (verdicts, restated definitions, negations, hedges, hull distances with units), each with
the verdict a person reads in it, written by hand before the parser was run on them.

The prompt itself says "A material is stable when its energy above the hull is 0 eV/atom"; a
reply that repeats that sentence states a definition, not a call (issue 31: the README's main
job graded ``Final Answer: stable (its energy above the hull is 0 eV/atom)`` as unstable).
"""

from __future__ import annotations

import pytest

from evalsuite.benchmarks.crystal_stability import CrystalStability
from evalsuite.core.types import Sample

S, U, NONE = "stable", "unstable", None

REPLIES: list[tuple[str, str | None]] = [
    # the case of the issue (FeF2, mp-556911) and its neighbours
    ("Final Answer: stable (its energy above the hull is 0 eV/atom)", S),
    ("FeF2 is a well-known rutile fluoride.\nFinal Answer: stable (its energy above the hull is 0 eV/atom)", S),
    ("A material is stable when its energy above the hull is 0 eV/atom. FeF2 lies on the hull.\n"
     "Final Answer: stable", S),
    ("A material is stable when its energy above the hull is 0 eV/atom.\nFinal Answer: unstable", U),
    ("Final Answer: stable, since a material is stable when its energy above the hull is 0 eV/atom", S),
    ("Final Answer: unstable (a material is stable only when its energy above the hull is 0 eV/atom, "
     "and this one sits 0.04 eV/atom above it)", U),
    # plain verdicts, with formatting small models add
    ("Final Answer: stable", S),
    ("Final Answer: unstable", U),
    ("Final Answer: **Stable**", S),
    ("Final Answer: `unstable`", U),
    ("Final Answer: Unstable.", U),
    ("Final Answer: The compound is thermodynamically stable.", S),
    ("Final Answer: FeF2 is stable", S),
    ("Final Answer: metastable", U),
    ("Final Answer: Yes, it lies on the convex hull.", S),
    ("Final Answer: No - it decomposes into Fe2O3 and FeO.", U),
    # numbers with units decide a hull phrase
    ("Its energy above the hull is 0.000 eV/atom, so it is on the hull.", S),
    ("The energy above the hull is 0.12 eV/atom.", U),
    ("E_hull = 0 meV/atom", S),
    ("It sits about 25 meV/atom above the hull.", U),
    ("The hull distance is 0 eV per atom.", S),
    ("Its energy above the convex hull is zero.", S),
    ("Its energy above the hull is positive, about 0.3 eV/atom.", U),
    ("Its energy above the hull is small but positive.", U),
    # negations
    ("It is not stable.", U),
    ("It is not unstable: it lies on the hull.", S),
    ("It does not lie on the hull.", U),
    ("This phase is not thermodynamically stable; it decomposes.", U),
    ("It isn't on the convex hull.", U),
    ("It is non-stable with respect to the binaries.", U),
    # hedges: the hedged call is the call
    ("Probably stable: most rock-salt halides are.", S),
    ("It is likely unstable, lying slightly above the hull.", U),
    ("I am not certain, but I would say stable.", S),
    ("Hard to say for sure; my best guess is that it is metastable.", U),
    # reasoning, then a conclusion
    ("At first I thought it was unstable, but the oxide is a ground state, so it is stable.", S),
    ("Many nitrides are stable. This one, however, lies 0.2 eV/atom above the hull, so it is unstable.", U),
    ("Kinetically stable, but thermodynamically unstable.", U),
    ("Stable compounds lie on the hull. LiFePO4 lies on the hull.", S),
    ("Materials that are unstable decompose. Na3N is a known ground state: stable.", S),
    # definitions and questions alone are no answer
    ("A material is stable when its energy above the hull is 0 eV/atom.", NONE),
    ("Is it stable or unstable? That depends on the competing phases.", NONE),
    ("I cannot determine whether it is stable.", NONE),
    ("Stability means an energy above the hull of 0 eV/atom.", NONE),
    ("Whether it is stable or unstable depends on the functional.", NONE),
    ("The answer is one of: stable / unstable.", NONE),
    # replies the embedded model wrote in the README's main job (no Final Answer line)
    ("The material is stable when its energy above the convex hull of formation energies is 0 eV/atom.", NONE),
    ("No, the material is not stable. The material is unstable when its energy above the convex hull of "
     "formation energies is 0 eV/atom.", U),
    ("The crystal lattice of FeF3 is a thermodynamically stable material. The material is stable when its "
     "energy above the convex hull of the competing phases of the F-Fe chemical system is 0 eV/atom.", S),
    ("The crystal lattice of FeF2 is a metastable system, and the system is stable when the energy above the "
     "convex hull is 0 eV/atom.", U),
    # "yes" / "no" mean something only as the opening word
    ("It is stable, with no competing phase below it.", S),
    ("Yes.", S),
    ("No.", U),
]


@pytest.fixture(scope="module")
def bench():
    return CrystalStability({"mode": "classify"})


def sample(stable: bool) -> Sample:
    return Sample(id="mp-556911", messages=[{"role": "user", "content": "?"}],
                  target={"e_above_hull": 0.0 if stable else 0.1, "stable": stable},
                  metadata={"material_id": "mp-556911", "formula": "FeF2", "chemsys": "F-Fe",
                            "arity": "binary", "position": 0})


def test_the_set_is_large_and_mixed():
    assert len(REPLIES) >= 40
    assert {verdict for _, verdict in REPLIES} == {S, U, NONE}


@pytest.mark.parametrize("reply, verdict", REPLIES)
def test_reply_read_as_a_chemist_would(bench, reply, verdict):
    prediction = bench.extract(reply, sample(True))
    if verdict is None:
        assert not prediction.ok, prediction.value
    else:
        assert prediction.ok, prediction.failure
        assert prediction.value == verdict


def test_a_definition_alone_says_why_it_is_no_answer(bench):
    prediction = bench.extract("A material is stable when its energy above the hull is 0 eV/atom.", sample(True))
    assert not prediction.ok and "only restates the definition" in (prediction.failure or "")


def test_restated_definition_scores_the_verdict(bench):
    """The issue's reply, scored: called stable, truth stable, correct."""
    reply = "Final Answer: stable (its energy above the hull is 0 eV/atom)"
    target = sample(True)
    score = bench.score(bench.extract(reply, target), target)
    assert score.values["correct"] == 1.0, score.reason
