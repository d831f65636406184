"""The three route formats a model writes, read into one nested tree (``to_tree``).

Formats: the PaRoutes / AiZynthFinder tree (molecule nodes ``type: mol`` with at most one
``type: reaction`` child; a reaction node's ``smiles`` is ignored); a nested ``{"smiles",
"children"}`` tree without reaction nodes; a list of reaction SMILES ``reactants>>product`` (or
``reactants>reagents>product``) joined into a tree by a precursor map. The output is a nested
``{"smiles", "children", "reagents"?}`` tree of the SMILES as written.

Size bounds are checked here, before RDKit or retrocast see anything: retrocast's JSON reader gives
up (RuntimeError) on a route nested a few hundred levels deep, and RDKit's time grows with atoms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from evalsuite.scorers import chemistry

MAX_DEPTH = 10  # reactions on the longest root-to-leaf path of a valid route
MAX_MOLECULES = 200  # molecule nodes in one route; a larger one is refused unread
MAX_ROUTE_CHARS = 60_000  # SMILES characters in one route
MAX_STEPS = 100  # reaction SMILES in one step list


class RouteError(ValueError):
    """A candidate that cannot be read as a route; the message is the reason recorded."""


# -- reading the three formats ----------------------------------------------------------------
def to_tree(raw: Any, target: str | None = None) -> dict[str, Any]:
    """One candidate in any accepted format as a nested ``{"smiles", "children", "reagents"?}`` tree.

    Formats: the PaRoutes / AiZynthFinder tree (molecule nodes ``type: mol`` with at most one
    ``type: reaction`` child; a reaction node's ``smiles`` is ignored); a nested ``{"smiles",
    "children"}`` tree without reaction nodes; a list of reaction SMILES ``reactants>>product``
    (or ``reactants>reagents>product``), joined into a tree by a precursor map from ``target``
    (or, when the target is made by no step, from the one product no other step consumes).
    """
    if isinstance(raw, dict):
        for key in ("route", "tree", "steps"):
            if key in raw and "smiles" not in raw:
                return to_tree(raw[key], target)
        budget = [MAX_MOLECULES, MAX_ROUTE_CHARS]
        if raw.get("type") == "mol" or any(isinstance(c, dict) and c.get("type") == "reaction"
                                           for c in _children(raw)):
            return _from_bipartite(raw, 0, budget)
        return _from_nested(raw, 0, budget)
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return _from_steps(raw, target)
    if isinstance(raw, str) and ">" in raw:
        return _from_steps([raw], target)
    raise RouteError(f"not a route: expected a tree object or a list of reaction SMILES, got {type(raw).__name__}")


def _children(node: dict[str, Any]) -> list[Any]:
    children = node.get("children") or []
    if not isinstance(children, list):
        raise RouteError("'children' must be a list")
    return children


def _molecule(node: Any, depth: int, budget: list[int]) -> tuple[str, list[str]]:
    if not isinstance(node, dict):
        raise RouteError(f"a molecule node must be an object, got {type(node).__name__}")
    if depth > MAX_DEPTH:
        raise RouteError(f"route deeper than {MAX_DEPTH} reactions")
    smiles = node.get("smiles")
    if not isinstance(smiles, str) or not smiles.strip():
        raise RouteError("a molecule node has no SMILES")
    reagents = node.get("reagents") or []
    if not isinstance(reagents, list) or not all(isinstance(r, str) for r in reagents):
        raise RouteError("'reagents' must be a list of SMILES")
    budget[0] -= 1
    budget[1] -= len(smiles) + sum(len(r) for r in reagents)
    if budget[0] < 0:
        raise RouteError(f"route has more than {MAX_MOLECULES} molecules")
    if budget[1] < 0:
        raise RouteError(f"route has more than {MAX_ROUTE_CHARS} SMILES characters")
    for text in (smiles, *reagents):
        if len(text) > chemistry.MAX_SMILES_CHARS:
            raise RouteError(f"SMILES longer than {chemistry.MAX_SMILES_CHARS} characters ({len(text)})")
    return smiles.strip(), [r.strip() for r in reagents if r.strip()]


def tree_node(smiles: str, children: list[dict[str, Any]], reagents: list[str]) -> dict[str, Any]:
    node: dict[str, Any] = {"smiles": smiles, "children": children}
    if reagents and children:
        node["reagents"] = reagents
    return node


def _from_bipartite(node: Any, depth: int, budget: list[int]) -> dict[str, Any]:
    smiles, reagents = _molecule(node, depth, budget)
    reactions = _children(node)
    if not reactions:
        return tree_node(smiles, [], [])
    if len(reactions) > 1:
        raise RouteError(f"molecule {smiles[:60]} is made by {len(reactions)} reactions (one allowed)")
    reaction = reactions[0]
    if not isinstance(reaction, dict) or reaction.get("type", "reaction") != "reaction":
        raise RouteError(f"the child of molecule {smiles[:60]} is not a reaction node")
    mols = _children(reaction)
    if not mols:
        raise RouteError(f"the reaction making {smiles[:60]} has no reactants")
    extra = reaction.get("reagents") or []
    if not isinstance(extra, list) or not all(isinstance(r, str) for r in extra):
        raise RouteError("'reagents' must be a list of SMILES")
    return tree_node(smiles, [_from_bipartite(m, depth + 1, budget) for m in mols], reagents + list(extra))


def _from_nested(node: Any, depth: int, budget: list[int]) -> dict[str, Any]:
    smiles, reagents = _molecule(node, depth, budget)
    return tree_node(smiles, [_from_nested(c, depth + 1, budget) for c in _children(node)], reagents)


def _from_steps(steps: list[str], target: str | None) -> dict[str, Any]:
    if not steps:
        raise RouteError("empty step list")
    if len(steps) > MAX_STEPS:
        raise RouteError(f"more than {MAX_STEPS} steps ({len(steps)})")
    if sum(len(s) for s in steps) > MAX_ROUTE_CHARS:
        raise RouteError(f"route has more than {MAX_ROUTE_CHARS} SMILES characters")
    made: dict[str, tuple[str, list[str], list[str]]] = {}  # canonical product -> (written, reactants, reagents)
    consumed: set[str] = set()
    for number, step in enumerate(steps, 1):
        parts = step.strip().split(">")
        if len(parts) != 3 or not parts[0].strip() or not parts[2].strip():
            raise RouteError(f"step {number} is not 'reactants>>product': {step[:80]!r}")
        product = parts[2].strip()
        key = _canonical(product, f"step {number} product")
        if key in made:
            raise RouteError(f"molecule {product[:60]} is made by two steps ({number} and an earlier one)")
        reactants = [r for r in parts[0].strip().split(".") if r]
        made[key] = (product, reactants, [r for r in parts[1].strip().split(".") if r])
        consumed.update(_canonical(r, f"step {number} reactant") for r in reactants)
    root = _canonical(target, "target") if target else None
    if root not in made:
        roots = [k for k in made if k not in consumed]
        if len(roots) != 1:
            raise RouteError(f"the steps make {len(roots)} final products, not one route to the target")
        root = roots[0]

    def build(key: str, written: str, ancestors: frozenset[str]) -> dict[str, Any]:
        if key in ancestors:
            raise RouteError(f"cycle: molecule {written[:60]} is its own ancestor")
        if len(ancestors) > MAX_DEPTH:
            raise RouteError(f"route deeper than {MAX_DEPTH} reactions")
        if key not in made:
            return tree_node(written, [], [])
        product, reactants, reagents = made[key]
        inner = ancestors | {key}
        return tree_node(product, [build(_canonical(r, "reactant"), r, inner) for r in reactants], reagents)

    return build(root, made[root][0], frozenset())


def _canonical(smiles: str, what: str) -> str:
    if len(smiles) > chemistry.MAX_SMILES_CHARS:
        raise RouteError(f"{what}: SMILES longer than {chemistry.MAX_SMILES_CHARS} characters")
    canonical = _canonical_cached(smiles.strip())
    if canonical is None:
        raise RouteError(f"{what}: invalid SMILES {smiles[:80]!r}")
    return canonical


@lru_cache(maxsize=65536)
def _canonical_cached(smiles: str) -> str | None:
    """retrocast's canonical SMILES (atom maps removed), memoised: a step list names each intermediate twice."""
    import retrocast

    try:
        return str(retrocast.canonicalize_smiles(smiles, remove_mapping=True))
    except (ValueError, RuntimeError):  # retrocast: ValueError unparsable, RuntimeError e.g. a valence error
        return None
