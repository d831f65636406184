"""Multi-step synthesis routes: read, validate and grade them against a reference route and a stock.

Division of labour (issue 18). retrocast (ischemist/project-procrustes, pinned in pyproject.toml)
does what it implements: canonicalising every SMILES and building the canonical route tree with
InChIKeys (its ``dms`` adapter, which also refuses cycles and a root that is not the target),
stock termination at the three InChIKey levels and matching the reference route by its route
signature, exactly or as a prefix at the reference's depth (``retrocast.score``). evalsuite adds:

- reading the three route formats a language model writes and converting them to one tree
  (``evalsuite.scorers.route_formats.to_tree``), with size bounds checked before RDKit or retrocast see
  anything: retrocast's JSON reader gives up (RuntimeError) on a route nested a few hundred levels deep;
- step validity with RDKit (retrocast documents Tier-0/1 validity but its Python API implements
  no per-reaction check): every SMILES parses, reactants non-empty, the product is not among its
  reactants, the product's heavy-atom elements are contained in the reactants' and reagents'.
  Heavy-atom imbalance (more atoms of an element in the product than one equivalent of each
  reactant supplies) is recorded, never failed: stoichiometry is not written in a route.
  "The product is a substructure of the reactants" is never used: it fails whenever a bond forms;
- a printable route signature (``signature``): a sorted, recursive InChIKey tree hash. retrocast
  0.8.3 computes signatures internally but exposes no function for them; ours is for display and
  for tests, the grading match is retrocast's;
- the PaRoutes metrics (Genheden & Bjerrum, Digital Discovery 2022; MolecularAI/PaRoutes
  ``analysis/route_quality.py`` with route_distances' helpers): Badowski route cost (leaf 1 in
  stock, 10 not; a reaction costs 1 + sum(child cost / 0.8)), dense ranks where equal costs share
  a rank, longest linear route, leaves and leaf overlap.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from evalsuite.scorers import chemistry
from evalsuite.scorers.route_formats import RouteError as RouteError  # re-exported: the scorer's public names
from evalsuite.scorers.route_formats import to_tree as to_tree
from evalsuite.scorers.route_formats import tree_node

LEVELS = ("full", "no-stereo", "connectivity")
RetrocastLevel = Literal["full", "no_stereo", "connectivity"]
RETROCAST_LEVEL: dict[str, RetrocastLevel] = {"full": "full", "no-stereo": "no_stereo", "connectivity": "connectivity"}
LEAF_COST_IN_STOCK, LEAF_COST_NOT_IN_STOCK, REACTION_COST, AVERAGE_YIELD = 1.0, 10.0, 1.0, 0.8


# -- the canonical tree ------------------------------------------------------------------------
@dataclass
class Mol:
    """A molecule of a canonical route; ``children`` are the reactants of the reaction making it."""

    smiles: str
    inchikey: str
    children: list[Mol] = field(default_factory=list)
    reagents: list[str] = field(default_factory=list)

    def walk(self) -> Iterable[Mol]:
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        return tree_node(self.smiles, [c.to_dict() for c in self.children], self.reagents)


def from_retrocast(molecule: dict[str, Any], raw: dict[str, Any]) -> Mol:
    """A retrocast route molecule as a ``Mol``, reagents taken from the raw tree (same shape)."""
    reaction = molecule.get("product_of") or {}
    reactants = reaction.get("reactants") or []
    raw_children = raw.get("children") or []
    if len(reactants) != len(raw_children):  # retrocast keeps reactant order; guard the assumption
        raw_children = [{}] * len(reactants)
    return Mol(molecule["smiles"], molecule["inchikey"],
               [from_retrocast(r, c) for r, c in zip(reactants, raw_children)], list(raw.get("reagents") or []))


def signature(mol: Mol, depth: int | None = None) -> str:
    """Order-invariant hash of the route tree over full InChIKeys (to ``depth`` reactions if given)."""
    if not mol.children or depth == 0:
        inner = mol.inchikey
    else:
        below = sorted(signature(c, None if depth is None else depth - 1) for c in mol.children)
        inner = mol.inchikey + "<" + ".".join(below)
    return hashlib.sha256(inner.encode()).hexdigest()[:16]


def n_steps(mol: Mol) -> int:
    return sum(1 for m in mol.walk() if m.children)


def longest_linear_route(mol: Mol) -> int:
    """Reactions on the longest root-to-leaf path (PaRoutes' calc_llr: bipartite depth // 2)."""
    return 1 + max(longest_linear_route(c) for c in mol.children) if mol.children else 0


def leaves(mol: Mol) -> set[str]:
    """Canonical SMILES of the starting materials, as a set (as PaRoutes' extract_leaves)."""
    return {m.smiles for m in mol.walk() if not m.children}


def leaf_overlap(a: Mol, b: Mol) -> float:
    """Shared leaves over the mean leaf count of the two routes (PaRoutes' leaves overlap)."""
    la, lb = leaves(a), leaves(b)
    return len(la & lb) / ((len(la) + len(lb)) / 2)


def is_convergent(mol: Mol) -> bool:
    """Some reaction joins two or more made (non-leaf) intermediates."""
    return any(sum(1 for c in m.children if c.children) >= 2 for m in mol.walk())


def route_cost(mol: Mol, in_stock: set[str]) -> float:
    """Badowski et al., Chem. Sci. 2019, 10, 4640, as PaRoutes ranks routes (``in_stock``: leaf InChIKeys)."""
    if not mol.children:
        return LEAF_COST_IN_STOCK if mol.inchikey in in_stock else LEAF_COST_NOT_IN_STOCK
    return REACTION_COST + sum(route_cost(c, in_stock) / AVERAGE_YIELD for c in mol.children)


def dense_ranks(costs: Sequence[float]) -> list[int]:
    """Rank of each cost (1 = cheapest); equal costs (within 1e-8) share a rank, the next rank is +1."""
    order = sorted(range(len(costs)), key=lambda i: costs[i])
    ranks = [0] * len(costs)
    rank, previous = 0, None
    for i in order:
        if previous is None or abs(costs[i] - previous) >= 1e-8:
            rank += 1
            previous = costs[i]
        ranks[i] = rank
    return ranks


# -- step validity (evalsuite's own layer, RDKit) ---------------------------------------------------
@dataclass(frozen=True, slots=True)
class StepCheck:
    product: str
    reason: str | None = None  # None: valid
    heavy_atom_excess: int = 0  # product atoms one equivalent of each reactant does not supply

    @property
    def ok(self) -> bool:
        return self.reason is None


def check_step(mol: Mol) -> StepCheck:
    """The RDKit checks of the reaction making ``mol`` (see the module docstring)."""
    if not mol.children:
        return StepCheck(mol.smiles, "no reactants")
    product = chemistry.parse_cached(mol.smiles)
    if not product.ok:
        return StepCheck(mol.smiles, f"product: {product.reason}")
    if any(c.inchikey == mol.inchikey for c in mol.children):
        return StepCheck(mol.smiles, "the product is among its reactants")
    supplied: dict[str, int] = {}
    available: set[str] = set()
    sides = [(c.smiles, True) for c in mol.children] + [(r, False) for r in mol.reagents]
    for text, is_reactant in sides:
        parsed = chemistry.parse_cached(text)
        if not parsed.ok:
            return StepCheck(mol.smiles, f"{'reactant' if is_reactant else 'reagent'} {text[:60]}: {parsed.reason}")
        counts = heavy_atoms(parsed.mol)
        available.update(counts)
        if is_reactant:  # reagents may lend an element, not count towards the balance
            for element, n in counts.items():
                supplied[element] = supplied.get(element, 0) + n
    made = heavy_atoms(product.mol)
    missing = sorted(set(made) - available)
    if missing:
        return StepCheck(mol.smiles, f"product element(s) {', '.join(missing)} absent from its reactants and reagents")
    excess = sum(max(0, n - supplied.get(element, 0)) for element, n in made.items())
    return StepCheck(mol.smiles, None, excess)


def heavy_atoms(mol: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() > 1:
            counts[atom.GetSymbol()] = counts.get(atom.GetSymbol(), 0) + 1
    return counts


def check_steps(route: Mol) -> list[StepCheck]:
    return [check_step(m) for m in route.walk() if m.children]


# -- stock -----------------------------------------------------------------------------------
@dataclass
class Stock:
    """Purchasable molecules by full InChIKey (with a name where the file gives one)."""

    names: dict[str, str]
    _levels: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    @property
    def keys(self) -> frozenset[str]:
        return self.at("full")

    def at(self, level: str) -> frozenset[str]:
        if level not in self._levels:
            import retrocast

            rc = RETROCAST_LEVEL[level]
            self._levels[level] = frozenset(retrocast.reduce_inchi_key(k, rc) for k in self.names)
        return self._levels[level]

    def contains(self, inchikey: str, level: str) -> bool:
        import retrocast

        return retrocast.reduce_inchi_key(inchikey, RETROCAST_LEVEL[level]) in self.at(level)


def inchikey(smiles: str, level: str = "full") -> str:
    """retrocast's InChIKey at ``level``; ValueError when the SMILES is not a molecule."""
    import retrocast

    try:
        return str(retrocast.get_inchi_key(smiles, RETROCAST_LEVEL[level]))
    except RuntimeError as exc:  # retrocast reports sanitisation (valence) errors as RuntimeError
        raise ValueError(str(exc)) from None


# -- grading candidates (retrocast for canonical trees, stock and match) ---------------------
@dataclass
class Graded:
    """One ranked candidate: its canonical route or why it is not a valid route, and its checks."""

    rank: int
    route: Mol | None = None
    reason: str | None = None
    steps: list[StepCheck] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # leaves (SMILES) not in stock
    exact: bool = False
    prefix: bool = False

    @property
    def valid(self) -> bool:
        return self.route is not None

    @property
    def stock_terminated(self) -> bool:
        return self.route is not None and not self.missing

    @property
    def steps_valid(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def solved(self) -> bool:
        return self.stock_terminated and self.steps_valid

    def in_stock(self) -> set[str]:
        if self.route is None:
            return set()
        return {m.inchikey for m in self.route.walk() if not m.children and m.smiles not in self.missing}


def reference_route(tree: dict[str, Any]) -> tuple[Mol, dict[str, Any]]:
    """A reference tree as a canonical ``Mol`` and retrocast's route; RouteError when unusable."""
    import retrocast

    clean = to_tree(tree)
    adapted = retrocast.adapt([_plain(clean)], "dms")[0]
    if "route" not in adapted:
        raise RouteError(_failure(adapted))
    return from_retrocast(adapted["route"]["target"], clean), adapted["route"]


def grade(candidates: Sequence[dict[str, Any]], reference: dict[str, Any], target: str, stock: Stock,
          level: str = "full") -> tuple[Mol, list[Graded]]:
    """Grade ranked candidates (``{"route": tree}`` or ``{"invalid": reason}``) against the reference."""
    import retrocast

    ref_mol, ref_route = reference_route(reference)
    graded = [Graded(rank) for rank in range(1, len(candidates) + 1)]
    trees: list[tuple[Graded, dict[str, Any]]] = []
    for g, candidate in zip(graded, candidates):
        tree = candidate.get("route") if isinstance(candidate, dict) else None
        if isinstance(tree, dict):
            trees.append((g, tree))
        else:
            g.reason = str(candidate.get("invalid") if isinstance(candidate, dict) else "not a route")
    if trees:
        task: dict[str, Any] = {"name": "synthesis-planning", "targets": {"t": {
            "id": "t", "smiles": target, "inchikey": inchikey(target), "acceptable_routes": [ref_route]}},
            "default_constraints": [{"kind": "retrocast.stock_termination", "stock": "stock"}]}
        raw: Any = {"t": [_plain(tree) for _, tree in trees]}
        # retrocast.score converts the stock it is given on every call (about 7 ms per 1,000 keys, so
        # 70 ms for a PaRoutes stock): it gets the candidates' leaves that are in the stock at the
        # level, looked up in a set here; its stock-termination check then answers as with the whole stock.
        leaf_keys = {_key(m["smiles"]) for _, tree in trees for m in _walk_raw(tree) if not m.get("children")}
        stocks = {"stock": sorted(k for k in leaf_keys if k is not None and stock.contains(k, level))}
        # One scoring pass, in retrocast's prefix mode (ingest costs ~4 ms a route, so not twice): the
        # reference matches as a prefix at its own depth, and a prefix match of a candidate exactly as
        # deep as the reference cuts nothing off, so it is the exact (full-signature) match.
        predictions = retrocast.ingest(raw, "dms", task)
        scored = retrocast.score(predictions, task, stocks, match_level=RETROCAST_LEVEL[level],
                                 acceptable_route_match="prefix").to_dict()["targets"]["t"]["candidates"]
        ref_depth = longest_linear_route(ref_mol)
        for (g, tree), result in zip(trees, scored):
            if "route" not in result:
                g.reason = _failure(result)
                continue
            g.route = from_retrocast(result["route"]["target"], tree)
            g.prefix = bool(result.get("matches_acceptable"))
            g.exact = g.prefix and longest_linear_route(g.route) == ref_depth
            g.missing = _missing(result, g.route)
            g.steps = check_steps(g.route)
    return ref_mol, graded


def _walk_raw(tree: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield tree
    for child in tree.get("children") or []:
        yield from _walk_raw(child)


@lru_cache(maxsize=65536)
def _key(smiles: str) -> str | None:
    try:
        return inchikey(smiles)
    except ValueError:
        return None


def _plain(tree: dict[str, Any]) -> dict[str, Any]:
    """The tree as retrocast's ``dms`` adapter reads it (SMILES and children only)."""
    return {"smiles": tree["smiles"], "children": [_plain(c) for c in tree.get("children") or []]}


def _failure(result: dict[str, Any]) -> str:
    failure = result.get("failure") or {}
    code, message = failure.get("code", "invalid"), str(failure.get("message") or "")
    if code == "adapter.target_mismatch":
        context = failure.get("context") or {}
        return f"root {str(context.get('actual_smiles'))[:80]} is not the target"
    if code == "adapter.cycle_detected":
        return f"cycle: a molecule is its own ancestor ({message.split('cycle at ')[-1][:80]})"
    return f"{code}: {message[:160]}"


def _missing(result: dict[str, Any], route: Mol) -> list[str]:
    """The leaves retrocast's stock-termination check found missing (all of them when it failed
    without naming any, as it does for a stock holding none of the candidates' leaves)."""
    constraints = result.get("constraints") or {}
    if constraints.get("status") == "pass":
        return []
    keys: set[str] = set()
    for check in constraints.get("checks") or []:
        keys.update((check.get("details") or {}).get("missing_leaf_inchikeys") or [])
    leaf_smiles = {m.smiles for m in route.walk() if not m.children and (not keys or m.inchikey in keys)}
    return sorted(leaf_smiles)


# -- metrics of one target ---------------------------------------------------------------------
TOP_K = (1, 5, 10)


def ranks(graded: Sequence[Graded], ranking: str) -> list[int]:
    """Model order (1, 2, 3 ...) or PaRoutes' dense cost ranks (invalid candidates last)."""
    if ranking == "model":
        return [g.rank for g in graded]
    costs = [route_cost(g.route, g.in_stock()) if g.route is not None else float("inf") for g in graded]
    return dense_ranks(costs)


def target_metrics(graded: Sequence[Graded], reference: Mol, ranking: str = "model") -> dict[str, float | None]:
    """Per-target values (see the benchmark's metric declarations)."""
    rank_of = ranks(graded, ranking)
    solved_ranks = [r for g, r in zip(graded, rank_of) if g.solved]
    steps = [s for g in graded for s in g.steps]
    values: dict[str, float | None] = {
        "solved": float(bool(solved_ranks)),
        "solved_top_1": float(1 in solved_ranks),
        "mrr_solved": 1.0 / min(solved_ranks) if solved_ranks else 0.0,
        "stock_terminated": float(any(g.stock_terminated for g in graded)),
        "route_validity": sum(g.valid for g in graded) / len(graded) if graded else 0.0,
        "step_validity": sum(s.ok for s in steps) / len(steps) if steps else None,
    }
    for k in TOP_K:
        if ranking == "model":  # retrocast's reading: among the first k candidates that solve the task
            window = [g for g in graded if g.stock_terminated][:k]
        else:  # PaRoutes: every candidate ranked k or better, ties included, in stock or not
            window = [g for g, r in zip(graded, rank_of) if r <= k]
        values[f"route_top_{k}"] = float(any(g.exact for g in window))
        values[f"route_prefix_top_{k}"] = float(any(g.prefix for g in window))
    first = [g.route for g, r in zip(graded, rank_of) if r == 1 and g.route is not None]
    ref_llr = longest_linear_route(reference)
    values["ref_longest_linear_route"] = float(ref_llr)
    values["ref_n_leaves"] = float(len(leaves(reference)))
    if first:  # PaRoutes' statistics of the routes ranked 1: max LLR, min leaves, max overlap
        llr = max(longest_linear_route(m) for m in first)
        values.update(n_steps=float(min(n_steps(m) for m in first)), longest_linear_route=float(llr),
                      n_leaves=float(min(len(leaves(m)) for m in first)),
                      leaf_overlap=max(leaf_overlap(m, reference) for m in first),
                      length_difference=float(llr - ref_llr))
    else:
        values.update(n_steps=None, longest_linear_route=None, n_leaves=None, leaf_overlap=None,
                      length_difference=None)
    valid_steps = [s for s in steps if s.ok]
    values["imbalanced_steps"] = (sum(1 for s in valid_steps if s.heavy_atom_excess > 0) / len(valid_steps)
                                  if valid_steps else None)
    return values


def explain(graded: Sequence[Graded], values: dict[str, float | None], ranking: str) -> str:
    """One line: the outcome, then why the first candidates failed."""
    head = [f"[{ranking}]"]
    solved = next((g.rank for g in graded if g.solved), None)
    head.append(f"solved by candidate {solved}" if solved else "not solved")
    match = next((g.rank for g in graded if g.exact), None)
    head.append(f"reference route matched by candidate {match}" if match else "reference route not proposed")
    notes = []
    for g in graded[:3]:
        if g.solved:
            continue
        if g.route is None:
            why = g.reason or "invalid"
        elif not g.steps_valid:
            bad = next(s for s in g.steps if not s.ok)
            why = f"invalid step to {bad.product[:60]}: {bad.reason}"
        else:
            why = f"leaves not in stock: {', '.join(s[:40] for s in g.missing[:3])}"
        notes.append(f"candidate {g.rank}: {why}")
    return "; ".join(head + notes)
