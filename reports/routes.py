"""Route trees in the report's drill-down: the gold route beside the model's first candidate.

A benchmark opts in by listing ``route_fields`` in its results (synthesis-planning does); the
target and each prediction candidate are then nested ``{"smiles", "children"}`` trees. Each
molecule is drawn with ``evalsuite.reports.molecules`` (an inert SVG inside ``<img>``), its reactants
nested below it. Every string from a run is escaped here, as the caller inserts the markup as is.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from evalsuite.reports import molecules

MAX_DRAWN = 40  # molecules drawn per tree; a larger tree is cut with a note (a hostile reply can be big)
MAX_DEPTH = 12


def drill_down(target: Any, prediction: Any) -> Markup:
    """The gold tree and the model's first candidate side by side; empty when neither is a tree."""
    gold = target if _is_tree(target) else None
    first = prediction[0] if isinstance(prediction, list) and prediction else None
    if gold is None and first is None:
        return Markup("")
    if isinstance(first, dict) and _is_tree(first.get("route")):
        model = _tree(first["route"])
    elif isinstance(first, dict) and first.get("invalid"):
        model = Markup('<p class="rt-note">not a route: {}</p>').format(str(first["invalid"])[:300])
    else:
        model = Markup('<p class="rt-note">no route proposed</p>')
    gold_html = _tree(gold) if gold is not None else Markup('<p class="rt-note">no gold route</p>')
    return Markup('<div class="rt-pair"><figure><figcaption>gold route</figcaption>{}</figure>'
                  '<figure><figcaption>model, candidate 1</figcaption>{}</figure></div>').format(gold_html, model)


def _is_tree(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("smiles"), str)


def _tree(root: dict[str, Any]) -> Markup:
    budget = [MAX_DRAWN]
    body = _node(root, budget, 0)
    note = Markup("") if budget[0] >= 0 else Markup('<p class="rt-note">route cut at {} molecules</p>').format(MAX_DRAWN)
    return Markup('<ul class="rt">{}</ul>{}').format(body, note)


def _node(node: dict[str, Any], budget: list[int], depth: int) -> Markup:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return Markup("")
    smiles = str(node.get("smiles", ""))
    image = molecules.draw(smiles)
    picture = (Markup('<img src="{}" alt="{}" width="120" height="85">').format(image, smiles[:200]) if image
               else Markup('<span class="rt-note">not drawable</span>'))
    children = [c for c in node.get("children") or [] if _is_tree(c)]
    below = Markup("")
    if children:
        reagents = node.get("reagents") or []
        label = Markup(' <span class="rt-reagents">[{}]</span>').format(", ".join(map(str, reagents))[:120]) if reagents else ""
        items = Markup("").join(_node(c, budget, depth + 1) for c in children)
        below = Markup('<div class="rt-arrow">⇐ made from{}</div><ul class="rt">{}</ul>').format(label, items)
    return Markup('<li><div class="rt-mol">{}<code>{}</code></div>{}</li>').format(picture, escape(smiles[:200]), below)
