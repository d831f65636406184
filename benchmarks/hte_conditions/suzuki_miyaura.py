"""hte-conditions/suzuki-miyaura: choose ligand, base and solvent for a Suzuki-Miyaura coupling.

Data: Perera et al., Science 2018, data file S1 (CSV as distributed by rxn4chemistry/rxn_yields,
5,760 rows). Columns used: ``Reactant_1_Name``, ``Reactant_1_Short_Hand`` (``1a, 6-Cl-Q``),
``Reactant_2_Name`` (``2a, Boronic Acid``), ``Catalyst_1_Short_Hand``, ``Ligand_Short_Hand``,
``Reagent_1_Short_Hand`` (the base), ``Solvent_1_Short_Hand``, ``Product_Yield_PCT_Area_UV``.

Split: an item is a reactant pair (15 in the file: four quinoline electrophiles Cl/Br/I/OTf x three
indazole boron partners, plus three quinoline boron species x the indazole bromide); its menu is
the full grid the experiment ran for every pair: ligand (11 + none) x base (7 + none) x solvent
(4) = 384 conditions, with Pd(OAc)2 fixed. Ligand and base are the chemist's real choices here;
the pair is what a chemist is given. An empty ligand or base cell is the option ``none``.

Solvents: one pair (6-quinolineboronic acid hydrochloride + bromide) was run with a second
protocol whose solvents are written ``MeOH/H2O_V2 9:1`` and ``THF_V2``. They fill the plate
positions of ``MeOH`` and ``THF`` of the other pairs, so they share those labels (the prompt of
that item shows the real names; either name is accepted). Options are numbered in sorted order
of their names, ``none`` last. Ids are ``sm-<reactant 1 code>-<reactant 2 code>`` (``sm-1a-2a``).
"""

from __future__ import annotations

from pathlib import Path

from evalsuite.benchmarks.hte_conditions.base import (
    NONE,
    Factor,
    HteConditions,
    Item,
    code_of,
    csv_rows,
    in_menu_order,
    parse_yield,
)
from evalsuite.core.errors import DataError

COLUMNS = {
    "r1": "Reactant_1_Name",
    "r1_code": "Reactant_1_Short_Hand",
    "r2": "Reactant_2_Name",
    "catalyst": "Catalyst_1_Short_Hand",
    "ligand": "Ligand_Short_Hand",
    "base": "Reagent_1_Short_Hand",
    "solvent": "Solvent_1_Short_Hand",
    "yield": "Product_Yield_PCT_Area_UV",
}
SOLVENT_POSITION = {"MeOH/H2O_V2 9:1": "MeOH", "THF_V2": "THF"}

# SMILES of the named reactants (structures of Perera et al., Fig. 2); the coupling partner of
# the quinoline is 5-methyl-1-(tetrahydropyran-2-yl)-1H-indazol-4-yl.
QUINOLINES = {
    "6-chloroquinoline": ("Clc1ccc2ncccc2c1", "Cl"),
    "6-Bromoquinoline": ("Brc1ccc2ncccc2c1", "Br"),
    "6-Iodoquinoline": ("Ic1ccc2ncccc2c1", "I"),
    "6-triflatequinoline": ("O=S(=O)(Oc1ccc2ncccc2c1)C(F)(F)F", "OTf"),
    "6-quinoline-boronic acid hydrochloride": ("OB(O)c1ccc2ncccc2c1.Cl", None),
    "Potassium quinoline-6-trifluoroborate": ("F[B-](F)(F)c1ccc2ncccc2c1.[K+]", None),
    "6-Quinolineboronic acid pinacol ester": ("CC1(C)OB(c2ccc3ncccc3c2)OC1(C)C", None),
}
INDAZOLE = "Cc1ccc2c(cnn2C2CCCCO2)c1"
PARTNERS = {
    "2a, Boronic Acid": (INDAZOLE + "B(O)O", None),
    "2b, Boronic Ester": (INDAZOLE + "B1OC(C)(C)C(C)(C)O1", None),
    "2c, Trifluoroborate": (INDAZOLE + "[B-](F)(F)F.[K+]", None),
    "2d, Bromide": (INDAZOLE + "Br", "Br"),
}
PRODUCT = "Cc1ccc2c(cnn2C2CCCCO2)c1-c1ccc2ncccc2c1"


def option_order(values: set[str]) -> tuple[str, ...]:
    return tuple(sorted(v for v in values if v != NONE)) + ((NONE,) if NONE in values else ())


class SuzukiMiyaura(HteConditions):
    name = "hte-conditions/suzuki-miyaura"
    description = "Choose ligand x base x solvent (384) for Suzuki-Miyaura couplings, graded by measured HTE yield"
    dataset_name = "hte-suzuki-miyaura"
    reaction = "Suzuki-Miyaura coupling"

    def load(self, path: Path) -> tuple[list[Factor], list[Item]]:
        rows = read_rows(path)
        factors = [
            Factor("ligand", "L", option_order({r["ligand"] for r in rows})),
            Factor("base", "B", option_order({r["base"] for r in rows})),
            Factor("solvent", "S", option_order({r["solvent"] for r in rows})),
        ]
        index = {f.name: {o: i for i, o in enumerate(f.options)} for f in factors}
        items: dict[tuple[str, str], Item] = {}
        catalysts: dict[tuple[str, str], str] = {}
        for r in rows:
            key = (r["r1"], r["r2"])
            item = items.get(key)
            if item is None:
                item = items[key] = new_item(r)
                catalysts[key] = r["catalyst"]
            elif r["catalyst"] != catalysts[key]:
                raise DataError(path, r["line"], f"catalyst {r['catalyst']!r} differs from {catalysts[key]!r} within one reactant pair")
            code = code_of(factors, [index[f.name][r[f.name]] for f in factors])
            if code in item.yields:
                raise DataError(path, r["line"], f"condition {code} appears twice for {r['r1']} + {r['r2']}")
            item.yields[code] = r["yield"]
            if r["raw_solvent"] != r["solvent"]:
                item.shown.setdefault("solvent", {})[r["solvent"]] = r["raw_solvent"]
        for key, item in items.items():
            item.lines.insert(0, f"Catalyst (fixed): {catalysts[key]}; ligand and base as chosen below.")
        ordered = sorted(items.values(), key=lambda it: it.id)
        return factors, [in_menu_order(it, factors) for it in ordered]


def read_rows(path: Path) -> list[dict]:
    rows = []
    for line, row in csv_rows(path, COLUMNS, ("r1", "r2", "solvent")):
        row["yield"], row["line"] = parse_yield(path, line, row["yield"], "yield"), line
        row["ligand"] = row["ligand"] or NONE
        row["base"] = row["base"] or NONE
        row["raw_solvent"] = row["solvent"]
        row["solvent"] = SOLVENT_POSITION.get(row["solvent"], row["solvent"])
        rows.append(row)
    return rows


def new_item(row: dict) -> Item:
    r1_code = row["r1_code"].split(",")[0].strip() or row["r1"]
    r2_code = row["r2"].split(",")[0].strip()
    r1_smiles, r1_group = QUINOLINES.get(row["r1"], (None, None))
    r2_smiles, r2_group = PARTNERS.get(row["r2"], (None, None))
    lines = [
        f"Reactant 1: {row['r1']}" + (f" ({r1_smiles})" if r1_smiles else ""),
        f"Reactant 2: {row['r2'].split(',', 1)[-1].strip()}" + (f" ({r2_smiles})" if r2_smiles else ""),
    ]
    if r1_smiles and r2_smiles:
        lines.append(f"Product: {PRODUCT}")
    electrophile = r1_group or r2_group or "unknown"
    return Item(
        id=f"sm-{r1_code}-{r2_code}".replace(" ", "_"),
        title=f"{row['r1']} + {row['r2'].split(',', 1)[-1].strip()}",
        lines=lines,
        yields={},
        metadata={"electrophile": electrophile, "reactant_1": row["r1"], "reactant_2": row["r2"]},
    )
