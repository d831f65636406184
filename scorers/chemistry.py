"""Chemistry grading with RDKit: parse, sanitise and canonicalise SMILES; compare molecule sets.

Every RDKit failure becomes a recorded reason, never an exception or stderr noise.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_SMILES_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Canonical:
    """Canonical SMILES of a molecule set (fragments sorted, '.'-joined), or why there is none."""

    smiles: str | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.smiles is not None


def canonical_smiles(text: str, *, stereo: bool = True) -> Canonical:
    """Canonical isomeric SMILES of ``text`` with atom maps removed; fragment order ignored."""
    from rdkit import Chem
    from rdkit.rdBase import BlockLogs

    text = (text or "").strip()
    if not text:
        return Canonical(None, "empty SMILES")
    if len(text) > MAX_SMILES_CHARS:
        return Canonical(None, f"SMILES longer than {MAX_SMILES_CHARS} characters")
    if any(ch.isspace() for ch in text):
        return Canonical(None, "SMILES contains whitespace")
    block = BlockLogs()  # silences RDKit's parse errors on stderr while in scope
    try:
        mol = Chem.MolFromSmiles(text)
        if mol is None:
            return Canonical(None, f"invalid SMILES: {text[:80]}")
        for atom in mol.GetAtoms():
            atom.SetAtomMapNum(0)
        if not stereo:
            Chem.RemoveStereochemistry(mol)
        fragments = sorted(Chem.MolToSmiles(mol, isomericSmiles=stereo).split("."))
        return Canonical(".".join(fragments))
    except Exception as exc:  # RDKit raises several types on pathological input
        return Canonical(None, f"RDKit error: {type(exc).__name__}: {exc}"[:200])
    finally:
        del block
