"""hte-conditions/buchwald-hartwig: choose ligand and base for a Buchwald-Hartwig amination.

Data: Ahneman et al., Science 2018 (CSV of sheet Plates1-3 as distributed by rxn4chemistry/
rxn_yields, 3,955 rows): columns ``Ligand``, ``Additive``, ``Base``, ``Aryl halide`` (SMILES) and
``Output`` (yield, %). Every reaction couples the aryl halide with p-toluidine in DMSO, with the
palladium precatalyst of the chosen ligand.

Split: an item is an aryl halide together with one isoxazole additive (15 x 22 = 330 items); its
menu is ligand (4) x base (3) = 12 conditions. The additives were not conditions a chemist picks:
the study added them to probe which functional groups poison the catalyst, so an additive is part
of the substrate situation the model is given, and ligand and base are what it chooses.
Missing cells: 5 items have 11 measured conditions (one ligand/base cell absent from the file);
the prompt names the missing code, it is not on that item's menu, and a reply choosing it is off
the menu. A row with an empty ``Output`` is treated the same way (not measured); a non-numeric one
raises DataError. Ties: one item has all 12 yields 0 (every condition is best, normalised yield
1.0) and one has two conditions at the same best yield.

Labels: ligands ``L1..L4`` and bases ``B1..B3``, in alphabetical order of their names (known
structures are named: XPhos, t-BuXPhos, t-BuBrettPhos, AdBrettPhos; BTMG, MTBD, P2Et; any other
is named by its SMILES). Ids: ``bh-<aryl>-<X>-<first 8 hex of sha1 of the additive SMILES>``.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from evalsuite.benchmarks.hte_conditions.base import (
    Factor,
    HteConditions,
    Item,
    code_of,
    csv_rows,
    in_menu_order,
    parse_yield,
)
from evalsuite.core.errors import DataError
from evalsuite.scorers.chemistry import canonical_smiles

COLUMNS = {"ligand": "Ligand", "additive": "Additive", "base": "Base", "halide": "Aryl halide", "yield": "Output"}
BIARYL = "CC(C)c1cc(C(C)C)c(-c2ccccc2{})c(C(C)C)c1"
NAMED = {
    "XPhos": BIARYL.format("P(C2CCCCC2)C2CCCCC2"),
    "t-BuXPhos": BIARYL.format("P(C(C)(C)C)C(C)(C)C"),
    "t-BuBrettPhos": "COc1ccc(OC)c(-c2c(C(C)C)cc(C(C)C)cc2C(C)C)c1P(C(C)(C)C)C(C)(C)C",
    "AdBrettPhos": "COc1ccc(OC)c(-c2c(C(C)C)cc(C(C)C)cc2C(C)C)c1P(C12CC3CC(CC(C3)C1)C2)C12CC3CC(CC(C3)C1)C2",
    "P2Et": "CCN=P(N=P(N(C)C)(N(C)C)N(C)C)(N(C)C)N(C)C",
    "BTMG": "CC(C)(C)N=C(N(C)C)N(C)C",
    "MTBD": "CN1CCCN2CCCN=C12",
}
ARYLS = {  # aryl group of the halide, written with [*] where the halogen was
    "[*]c1ccc(C(F)(F)F)cc1": "4-CF3-phenyl",
    "[*]c1ccc(OC)cc1": "4-MeO-phenyl",
    "[*]c1ccc(CC)cc1": "4-Et-phenyl",
    "[*]c1cccnc1": "3-pyridyl",
    "[*]c1ccccn1": "2-pyridyl",
}
AMINE = "Cc1ccc(N)cc1"
HALIDE_WORD = {"Cl": "chloride", "Br": "bromide", "I": "iodide"}


class BuchwaldHartwig(HteConditions):
    name = "hte-conditions/buchwald-hartwig"
    description = "Choose ligand x base (12) for Buchwald-Hartwig aminations with additives, graded by measured HTE yield"
    dataset_name = "hte-buchwald-hartwig"
    reaction = "Buchwald-Hartwig amination"
    group_by = ("electrophile",)

    def load(self, path: Path) -> tuple[list[Factor], list[Item]]:
        rows = read_rows(path)
        names = Names()
        ligands = {names.of(r["ligand"]) for r in rows}
        bases = {names.of(r["base"]) for r in rows}
        factors = [Factor("ligand", "L", tuple(sorted(ligands))), Factor("base", "B", tuple(sorted(bases)))]
        index = {f.name: {o: i for i, o in enumerate(f.options)} for f in factors}
        shown = {f.name: {o: f"{o}: {names.smiles[o]}" if names.smiles[o] != o else o for o in f.options} for f in factors}
        items: dict[tuple[str, str], Item] = {}
        for r in rows:
            key = (r["halide"], r["additive"])
            item = items.get(key)
            if item is None:
                item = items[key] = new_item(path, r, shown)
            code = code_of(factors, [index["ligand"][names.of(r["ligand"])], index["base"][names.of(r["base"])]])
            if code in item.yields:
                raise DataError(path, r["line"], f"condition {code} appears twice for this aryl halide and additive")
            if r["yield"] is not None:
                item.yields[code] = r["yield"]
        ordered = sorted((it for it in items.values() if it.yields), key=lambda it: it.id)
        return factors, [in_menu_order(it, factors) for it in ordered]


class Names:
    """Name of a ligand or base SMILES: a known name by canonical SMILES, else the SMILES."""

    def __init__(self) -> None:
        # without stereo: the file marks the adamantyl bridgeheads of AdBrettPhos with
        # (meaningless) tetrahedral tags
        self.known = {canonical_smiles(s, stereo=False).smiles: name for name, s in NAMED.items()}
        self.smiles: dict[str, str] = {}
        self.cache: dict[str, str] = {}

    def of(self, smiles: str) -> str:
        if smiles not in self.cache:
            name = self.known.get(canonical_smiles(smiles, stereo=False).smiles, smiles)
            self.cache[smiles] = name
            self.smiles[name] = smiles
        return self.cache[smiles]


def read_rows(path: Path) -> list[dict]:
    rows = []
    valid: set[str] = set()
    for line, row in csv_rows(path, COLUMNS, ("ligand", "additive", "base", "halide")):
        for key in ("ligand", "additive", "base", "halide"):
            if row[key] not in valid:
                parsed = canonical_smiles(row[key])
                if not parsed.ok:
                    raise DataError(path, line, f"{COLUMNS[key]}: {parsed.reason}")
                valid.add(row[key])
        missing = not row["yield"] or row["yield"].lower() == "nan"
        row["yield"] = None if missing else parse_yield(path, line, row["yield"], "Output")
        row["line"] = line
        rows.append(row)
    return rows


def new_item(path: Path, row: dict, shown: dict[str, dict[str, str]]) -> Item:
    halide, additive = row["halide"], row["additive"]
    halogen, aryl_name, product = describe_halide(halide)
    if halogen is None:
        raise DataError(path, row["line"], f"aryl halide {halide!r} has no aryl C-Cl, C-Br or C-I bond")
    tag = hashlib.sha1((canonical_smiles(additive).smiles or additive).encode()).hexdigest()[:8]
    return Item(
        id=f"bh-{aryl_name}-{halogen}-{tag}",
        title=f"{aryl_name} {HALIDE_WORD[halogen]} + p-toluidine",
        lines=[
            f"Aryl halide: {halide}",
            f"Amine: p-toluidine ({AMINE})",
            f"Product: {product}",
            f"Additive (present in every condition, 1 equiv): {additive}",
            "Solvent: DMSO; catalyst: the palladium precatalyst of the chosen ligand.",
        ],
        yields={},
        shown=shown,
        metadata={"electrophile": halogen, "aryl_halide": halide, "additive": additive},
    )


@cache
def describe_halide(halide: str) -> tuple[str | None, str, str]:
    """(halogen, aryl name, amination product) of an aryl halide SMILES."""
    halogen, aryl = split_halide(halide)
    if halogen is None:
        return None, "", ""
    known = {canonical_smiles(key).smiles: name for key, name in ARYLS.items()}
    aryl_name = known.get(canonical_smiles(aryl).smiles, hashlib.sha1(aryl.encode()).hexdigest()[:6])
    return halogen, aryl_name, amination_product(halide)


def split_halide(smiles: str) -> tuple[str | None, str]:
    """(halogen, canonical aryl with [*] in its place) of a mono-halo arene."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    for atom in mol.GetAtoms():
        if atom.GetSymbol() in ("Cl", "Br", "I") and any(n.GetIsAromatic() for n in atom.GetNeighbors()):
            editable = Chem.RWMol(mol)
            editable.GetAtomWithIdx(atom.GetIdx()).SetAtomicNum(0)
            return atom.GetSymbol(), Chem.MolToSmiles(editable)
    return None, smiles


def amination_product(halide: str) -> str:
    """The N-aryl p-toluidine: the halogen replaced by NH-(4-methylphenyl)."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    reaction = AllChem.ReactionFromSmarts("[c:1][Cl,Br,I].[NH2:2][c:3]>>[c:1][NH:2][c:3]")
    products = reaction.RunReactants((Chem.MolFromSmiles(halide), Chem.MolFromSmiles(AMINE)))
    mol = products[0][0]
    Chem.SanitizeMol(mol)
    return canonical_smiles(Chem.MolToSmiles(mol)).smiles or Chem.MolToSmiles(mol)
