"""Helpers for the rewards tests (loaded by file path: tests are not a package)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from evalsuite import registry
from evalsuite.cli import main

NON_TAIL = ["retrosynthesis", "forward-synthesis", "reaction-conditions", "hte-conditions/suzuki-miyaura",
            "hte-conditions/buchwald-hartwig", "crystal-stability"]
ALL = [*registry.expand(["tail"]), *NON_TAIL]


def data_for(name: str, shared: Path) -> Path | None:
    if name.startswith("hte-conditions/"):
        return shared / "hte"
    if name in ("retrosynthesis", "forward-synthesis"):
        return shared / "uspto50k" / "test.csv"
    return None


def off_by_one(target: str) -> str:
    """The gold answer with its last digit raised by one (9 -> 0), or its last letter moved on
    by one, or a comparison sign swapped: always another answer, since TAIL golds are unique."""
    swaps = {"<": ">", ">": "<", "=": "<"}
    if target in swaps:
        return swaps[target]
    for i in range(len(target) - 1, -1, -1):
        ch = target[i]
        if ch.isdigit():
            return target[:i] + str((int(ch) + 1) % 10) + target[i + 1:]
        if ch.isalpha():
            return target[:i] + ("a" if ch == "z" else chr(ord(ch) + 1)) + target[i + 1:]
    raise AssertionError(f"cannot mutate {target!r}")


def replay_run(tmp_path: Path, name: str, replies: dict[str, str], data: Path | None, tag: str,
               limit: int | None = None) -> list[dict]:
    """``evalsuite run --model replay/FILE`` over the first ``limit`` samples; the journal lines of
    the samples that have a reply."""
    replay = tmp_path / f"{tag}.jsonl"
    replay.write_text("".join(json.dumps({"id": i, "response": r}) + "\n" for i, r in replies.items()))
    out = tmp_path / f"run-{tag}"
    args = ["run", "--model", f"replay/{replay}", "--benchmark", name, "--out", str(out), "--limit",
            str(limit or len(replies)), "--no-progress", "--no-cache"]
    if data is not None:
        args += ["--data", str(data)]
    assert main(args) == 0
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return [r for r in records if r["id"] in replies]


SAFE = re.compile(r"[^a-z0-9]+")


def tag_of(name: str) -> str:
    return SAFE.sub("-", name)


def grid_smiles(width: int, height: int, nitrogen_at: int = 0) -> str:
    """A square grid of carbons (one nitrogen): valid, under the 500-atom guard, and slow for
    RDKit's ring perception, which is what a reply meant to make the grader run long would use."""
    from rdkit import Chem

    mol = Chem.RWMol()
    index = {(i, j): mol.AddAtom(Chem.Atom(6)) for i in range(width) for j in range(height)}
    for (i, j), atom in index.items():
        for neighbour in ((i + 1, j), (i, j + 1)):
            if neighbour in index:
                mol.AddBond(atom, index[neighbour], Chem.BondType.SINGLE)
    mol.GetAtomWithIdx(nitrogen_at).SetAtomicNum(7)
    return Chem.MolToSmiles(mol)


def slow_retro_completion() -> str:
    """50 distinct 289-atom grids (~90,000 characters, under the reply cap): about a second of
    RDKit work here, far above the caps the tests set."""
    return json.dumps([grid_smiles(17, 17, k) for k in range(50)])
