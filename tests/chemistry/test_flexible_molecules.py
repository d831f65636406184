"""The flexible rule reads a molecule only where a chemist would (issue 31): "carbon monoxide
(CO)" names a gas by its formula, it does not answer methanol (SMILES CO); an English word in
capitals is no molecule. Each reply's reading written by hand."""

from __future__ import annotations

import pytest

from evalsuite.benchmarks.synthesis.retrosynthesis import last_smiles_token

REPLIES = [
    # a formula in parentheses after its name: no molecule given
    ("The product of this reaction is carbon monoxide (CO).", None),
    ("It releases nitric oxide (NO) and nothing else.", None),
    ("The gas formed is carbon monosulfide (CS).", None),
    # ... but a SMILES in parentheses after a name is one
    ("The product is ethanol (CCO).", "CCO"),
    ("The major product is benzyl alcohol (OCc1ccccc1).", "OCc1ccccc1"),
    ("The major product is acetic acid (CC(=O)O).", "CC(=O)O"),
    # bare SMILES in prose
    ("The product is CCO.", "CCO"),
    ("After workup we obtain c1ccc(cc1)O as a white solid", "c1ccc(cc1)O"),
    ("First CCBr forms, then CCO.", "CCO"),
    # English words in capitals that RDKit would read
    ("THE ANSWER IS NO", None),
    ("CCN IS THE PRODUCT, NO DOUBT", "CCN"),
    ("I think so.", None),
    # a formula not in parentheses after a name is read as written (the rule is about names)
    ("The product is CO", "CO"),
    # the earlier molecule is taken when the last token is a name's formula
    ("Hydrolysis gives CCO and carbon monoxide (CO).", "CCO"),
]


@pytest.mark.parametrize("reply, molecule", REPLIES)
def test_flexible_reading(reply, molecule):
    assert last_smiles_token(reply) == molecule
