"""Molecules drawn as pictures (RDKit, offline), for benchmarks whose prompts show structures.

Every drawing is deterministic: the same molecule and options give the same PNG bytes in every
process. The PNG carries no metadata (RDKit writes the molecule's SMILES into PNG metadata by
default, which ``Chem.MolFromPNGString`` recovers: the answer would be in the picture) and no
legend: only atoms and bonds name the molecule.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

SIZES = (320, 400, 480)
ROTATIONS = (0, 30, 90, 150, 210, 300)


@dataclass(frozen=True, slots=True)
class DrawOptions:
    size: int = 400
    wedges: bool = True
    """Stereo wedges and hashes drawn; without them the picture shows no stereochemistry and the
    target is the molecule without it."""
    explicit_hydrogens: bool = False
    rotation: int = 0
    """Degrees."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def varied(seed: int, key: str) -> DrawOptions:
    """Options drawn per molecule from a seeded generator (the same for the same seed and key)."""
    rng = random.Random(f"draw|{seed}|{key}")
    return DrawOptions(size=rng.choice(SIZES), wedges=rng.random() < 0.75,
                       explicit_hydrogens=rng.random() < 0.2, rotation=rng.choice(ROTATIONS))


def drawn(smiles: str, options: DrawOptions) -> tuple[bytes, str]:
    """(PNG of the molecule, canonical SMILES of what the picture shows)."""
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D
    from rdkit.rdBase import BlockLogs

    block = BlockLogs()
    try:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            raise ValueError(f"RDKit cannot parse {smiles[:80]!r}")
        if not options.wedges:
            Chem.RemoveStereochemistry(mol)
        shown = Chem.MolToSmiles(mol)
        if options.explicit_hydrogens:
            mol = Chem.AddHs(mol)
        drawer = rdMolDraw2D.MolDraw2DCairo(options.size, options.size)
        settings = drawer.drawOptions()
        settings.includeMetadata = False  # else the SMILES rides along in the PNG
        settings.rotate = options.rotation
        settings.addStereoAnnotation = False  # no CIP labels: the wedges show the stereo
        rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
        drawer.FinishDrawing()
        return drawer.GetDrawingText(), shown
    finally:
        del block
