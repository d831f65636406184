"""Domain graders (installed as ``evalsuite.scorers``): chemistry (RDKit), materials (pymatgen),
algorithmic/exact, numeric.

May import ``evalsuite.core`` only (and RDKit, pymatgen).
"""
