"""Molecule drawings for the report: RDKit SVG, embedded as ``<img src="data:image/svg+xml;base64,...">``.

An SVG inside ``<img>`` is an inert picture (no scripts, no links, no external loads), so
whatever a model writes in place of SMILES cannot become markup in the page.
"""

from __future__ import annotations

import base64
from typing import Any

WIDTH, HEIGHT = 240, 170
MAX_SMILES = 400  # longer strings are not drawn: a model reply, not a molecule


def first_smiles(value: Any) -> str | None:
    """The SMILES to draw: the string itself, or the first entry of a ranked list."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (list, tuple)) and value:
        return first_smiles(value[0])
    return None


def draw(smiles: str | None) -> str | None:
    """A data: URI of the molecule's SVG drawing, or None when RDKit cannot parse it."""
    if not smiles or len(smiles) > MAX_SMILES:
        return None
    from rdkit import Chem, RDLogger
    from rdkit.Chem.Draw import rdMolDraw2D

    RDLogger.DisableLog("rdApp.*")
    try:
        mol = Chem.MolFromSmiles(smiles)
        if mol is None or mol.GetNumAtoms() == 0:
            return None
        drawer = rdMolDraw2D.MolDraw2DSVG(WIDTH, HEIGHT)
        options = drawer.drawOptions()
        options.clearBackground = False
        options.fixedBondLength = 30  # small molecules are not blown up to fill the frame
        rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
        drawer.FinishDrawing()
        svg = drawer.GetDrawingText()
    except Exception:  # noqa: BLE001 - RDKit raises assorted errors on exotic input; the report shows text instead
        return None
    finally:
        RDLogger.EnableLog("rdApp.*")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def shown_picture(prompt: Any) -> str | None:
    """The first picture of a multimodal prompt, from the image store, as a PNG data URI (None when
    the prompt has none, or the store no longer holds it)."""
    from evalsuite.core import images

    if not isinstance(prompt, list):
        return None
    part = next(images.parts(prompt), None)
    if part is None:
        return None
    try:
        data = images.get(part)
    except images.ImageError:
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
