"""Domain graders: chemistry (RDKit), materials (pymatgen), algorithmic/exact, numeric."""
