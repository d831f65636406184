"""Chemistry grading with RDKit: parse, sanitise and canonicalise SMILES; compare molecule sets.

Every RDKit failure becomes a recorded reason, never an exception or stderr noise.

A *molecule set* is one SMILES string whose '.'-separated molecules are the set (reactants of a
retrosynthesis, or a single product). Atom-map numbers are always removed before comparing.

Match modes (``MATCH_MODES``), each a key computed for both sides; equal keys = a match:

- ``exact``: the sorted multiset of canonical isomeric SMILES of the molecules (fragment order
  ignored, stereochemistry, charges and isotopes kept);
- ``no-stereo``: the same after removing all stereochemistry (tetrahedral and double-bond) from
  both sides; isotopes are kept;
- ``inchikey``: the set of standard InChIKeys of the molecules. Standard InChI treats mobile
  hydrogens between heteroatoms as one structure, so 2-hydroxypyridine equals 2-pyridone;
- ``largest-fragment``: only the largest molecule(s) of each side, by heavy-atom count (all
  molecules tied for the largest count, as canonical isomeric SMILES): the "MaxFrag"
  convention of Tetko et al. (Nat. Commun. 2020), which forgives missing or extra small
  reagents.

Similarity (``tanimoto``): Tanimoto coefficient of Morgan fingerprints, radius 2, 2048 bits, of
the whole molecule set on each side. Similarity is reported beside accuracy, never as accuracy.

Guard rails: a molecule set longer than ``MAX_SMILES_CHARS`` characters, or with more than
``MAX_ATOMS`` atoms (counted before sanitisation, which is the costly step), is invalid with a
reason. Together they bound the time of one parse (a 5,000-atom chain is refused by length
before RDKit sees it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_SMILES_CHARS = 2000
MAX_ATOMS = 500
MATCH_MODES = ("exact", "no-stereo", "inchikey", "largest-fragment")
MORGAN_RADIUS = 2
MORGAN_BITS = 2048
WHITESPACE = re.compile(r"\s")
ATOM_MAP = re.compile(r":\d+\]")  # ":n]" can only close a bracket atom's map number


@dataclass(frozen=True, slots=True)
class Canonical:
    """Canonical SMILES of a molecule set (fragments sorted, '.'-joined), or why there is none."""

    smiles: str | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.smiles is not None


@dataclass(frozen=True, slots=True)
class Parsed:
    """A sanitised molecule set with atom maps removed, or why it could not be read.

    ``fragments`` is the sorted tuple of canonical isomeric SMILES (the ``exact`` key).
    """

    mol: Any
    fragments: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.mol is not None

    @property
    def smiles(self) -> str:
        return ".".join(self.fragments)


@dataclass(frozen=True, slots=True)
class Key:
    """The comparison key of a molecule set in one match mode (sorted molecule identifiers)."""

    items: tuple[str, ...] | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.items is not None


def parse(text: str) -> Parsed:
    """Parse and sanitise a molecule set; strip atom maps; canonicalise each molecule."""
    from rdkit import Chem
    from rdkit.rdBase import BlockLogs

    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        return Parsed(None, reason="empty SMILES")
    if len(text) > MAX_SMILES_CHARS:
        return Parsed(None, reason=f"SMILES longer than {MAX_SMILES_CHARS} characters ({len(text)})")
    if WHITESPACE.search(text):
        return Parsed(None, reason=f"SMILES contains whitespace: {text[:80]!r}")
    block = BlockLogs()  # silences RDKit's parse errors on stderr while in scope
    try:
        # Every atom takes at least one character, so only long strings can exceed the cap.
        if len(text) > MAX_ATOMS:
            raw = Chem.MolFromSmiles(text, sanitize=False)
            if raw is None:
                return Parsed(None, reason=f"invalid SMILES: {text[:80]}")
            if raw.GetNumAtoms() > MAX_ATOMS:
                return Parsed(None, reason=f"more than {MAX_ATOMS} atoms ({raw.GetNumAtoms()})")
        # Atom maps are removed from the text, not the mol: RDKit perceives stereo while parsing,
        # and maps would tell symmetric atoms apart (the ring carbons of a cis-1,3-disubstituted
        # cyclobutane), giving another canonical SMILES than the same molecule written plainly.
        mol = Chem.MolFromSmiles(ATOM_MAP.sub("]", text) if ":" in text else text)
        if mol is None:
            return Parsed(None, reason=f"invalid SMILES: {text[:80]}")
        if mol.GetNumAtoms() == 0:
            return Parsed(None, reason="SMILES has no atoms")
        fragments = tuple(sorted(Chem.MolToSmiles(mol).split(".")))
        return Parsed(mol, fragments)
    except Exception as exc:  # noqa: BLE001 (RDKit raises several types on pathological input)
        return Parsed(None, reason=f"RDKit error: {type(exc).__name__}: {exc}"[:200])
    finally:
        del block


def canonical_smiles(text: str, *, stereo: bool = True) -> Canonical:
    """Canonical isomeric SMILES of ``text`` with atom maps removed; fragment order ignored.

    ``stereo=False`` removes stereochemistry first (the ``no-stereo`` key, '.'-joined).
    """
    parsed = parse(text)
    if not parsed.ok:
        return Canonical(None, parsed.reason)
    key = match_key(parsed, "exact" if stereo else "no-stereo")
    return Canonical(".".join(key.items), None) if key.items is not None else Canonical(None, key.reason)


def match_key(parsed: Parsed, mode: str) -> Key:
    """The key of a parsed molecule set in ``mode`` (see the module docstring)."""
    if not parsed.ok:
        return Key(None, parsed.reason)
    if mode == "exact":
        return Key(parsed.fragments)
    from rdkit import Chem
    from rdkit.rdBase import BlockLogs

    block = BlockLogs()
    try:
        if mode == "no-stereo":
            flat = Chem.Mol(parsed.mol)
            Chem.RemoveStereochemistry(flat)
            return Key(tuple(sorted(Chem.MolToSmiles(flat).split("."))))
        if mode == "inchikey":
            keys = set()
            for fragment in Chem.GetMolFrags(parsed.mol, asMols=True, sanitizeFrags=False):
                inchikey = Chem.MolToInchiKey(fragment)
                if not inchikey:
                    return Key(None, f"no InChIKey for {Chem.MolToSmiles(fragment)[:80]}")
                keys.add(inchikey)
            return Key(tuple(sorted(keys)))
        if mode == "largest-fragment":
            mol = parsed.mol
            frags = Chem.GetMolFrags(mol)
            sizes = [sum(1 for i in f if mol.GetAtomWithIdx(i).GetAtomicNum() > 1) for f in frags]
            top = max(sizes)
            largest = [
                Chem.MolFragmentToSmiles(mol, atomsToUse=list(f))
                for f, size in zip(frags, sizes, strict=False)
                if size == top
            ]
            return Key(tuple(sorted(largest)))
    except Exception as exc:  # noqa: BLE001 (as in parse: a reason, never a crash)
        return Key(None, f"RDKit error in {mode}: {type(exc).__name__}: {exc}"[:200])
    finally:
        del block
    raise ValueError(f"unknown match mode {mode!r}; known: {', '.join(MATCH_MODES)}")


@lru_cache(maxsize=65536)
def parse_cached(text: str) -> Parsed:
    """``parse`` memoised: for gold answers, which are scored against many replies."""
    return parse(text)


@lru_cache(maxsize=65536)
def gold_key(text: str, mode: str) -> Key:
    """``match_key(parse(text), mode)`` memoised, so a gold answer is canonicalised once."""
    return match_key(parse_cached(text), mode)


@lru_cache(maxsize=1)
def _morgan_generator() -> Any:
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=MORGAN_RADIUS, fpSize=MORGAN_BITS)


def fingerprint(parsed: Parsed) -> Any:
    """Morgan bit vector (radius 2, 2048 bits) of the whole set, or None when invalid."""
    return _morgan_generator().GetFingerprint(parsed.mol) if parsed.ok else None


@lru_cache(maxsize=65536)
def gold_fingerprint(text: str) -> Any:
    return fingerprint(parse_cached(text))


def tanimoto(a: Parsed, b: Parsed | Any) -> float:
    """Morgan r=2 2048-bit Tanimoto of two sets; 0.0 when either is invalid.

    ``b`` may be a ready fingerprint (from ``gold_fingerprint``).
    """
    from rdkit import DataStructs

    fa = fingerprint(a)
    fb = fingerprint(b) if isinstance(b, Parsed) else b
    if fa is None or fb is None:
        return 0.0
    return float(DataStructs.TanimotoSimilarity(fa, fb))


def same_molecules(a: str, b: str, mode: str = "exact") -> bool:
    """Whether two molecule-set SMILES match in ``mode`` (False when either is invalid)."""
    ka, kb = match_key(parse(a), mode), match_key(parse(b), mode)
    return ka.ok and kb.ok and ka.items == kb.items


def compare(predicted: Key, gold: Key) -> str | None:
    """Why ``predicted`` differs from ``gold`` (None when they match): missing, extra or both."""
    if predicted.items is None:
        return predicted.reason
    if gold.items is None:
        return f"gold answer unusable: {gold.reason}"
    if predicted.items == gold.items:
        return None
    pred, want = list(predicted.items), list(gold.items)
    for item in predicted.items:
        if item in want:
            want.remove(item)
            pred.remove(item)
    parts = []
    if want:
        parts.append("missing " + ", ".join(want))
    if pred:
        parts.append("extra " + ", ".join(pred))
    return "; ".join(parts)[:300]
