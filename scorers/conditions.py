"""Grading reaction conditions: slot-wise top-k accuracy (Parrot) and yield-based choice metrics.

Two families of measures live here, both pure functions of already-normalised values.

Slot accuracy (USPTO-Condition, as in Parrot, Wang et al. 2023): a condition set has the slots
``catalyst1, solvent1, solvent2, reagent1, reagent2``. Each slot holds one canonical SMILES or
``""`` for "none"; an empty slot is a class of its own, so predicting "none" where the data has
none is a hit. An empty slot is written as ``""``, null, a missing key or the word ``none`` only:
``NO`` is hydroxylamine (H2N-OH), a molecule like any other. Slots are
compared position by position (``solvent1`` with ``solvent1``), as molecules: two SMILES with the
same standard InChI are the same (H2 as ``[HH]`` or ``[H][H]``).
``{slot}_top{k}`` is 1 when any of the first k predicted sets has that slot right;
``overall_top{k}`` is 1 only when one single set among the first k has every slot right.

Yield choice (high-throughput experiments): every menu option has a measured yield (in %).
For a ranked choice ``c_1, c_2, ...`` (distinct menu options) and ``best = max(yields)``:
- ``top1_hit``: 1 if ``yield(c_1) == best`` (exact equality, so every tied-best option counts);
- ``top{k}_hit``: 1 if any of ``c_1..c_k`` has ``yield == best``;
- ``normalised_yield``: ``yield(c_1) / best`` (1.0 when best is 0: every option is then best);
- ``regret``: ``best - yield(c_1)`` in yield percentage points;
- ``percentile``: mid-rank of ``yield(c_1)`` among the n options, ``(below + (equal - 1) / 2) / (n - 1)``
  where ``below`` counts options with a strictly lower yield and ``equal`` those with the same
  yield (itself included): the unique best gives 1, the unique worst 0, and a uniformly random
  choice has expectation exactly 0.5 on every menu;
- ``yield``: ``yield(c_1)`` itself.
A reply with no usable choice scores as if it had made nothing: hits 0, normalised yield 0,
percentile 0, regret = best, yield 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from evalsuite.scorers.chemistry import canonical_smiles

SLOTS = ("catalyst1", "solvent1", "solvent2", "reagent1", "reagent2")
EMPTY = ""
EMPTY_WORDS = frozenset({"", "none"})  # compared lower-cased; never "no" (NO is a molecule)


# -- slot accuracy ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SlotValue:
    """A normalised slot: ``key`` is a canonical SMILES, ``""`` for none, or None when unusable."""

    key: str | None
    reason: str | None = None


def normalise_slot(value: object) -> SlotValue:
    """Canonical form of one slot value. Names that are not SMILES (``"THF"``) are unusable."""
    if value is None:
        return SlotValue(EMPTY)
    if isinstance(value, float) and math.isnan(value):
        return SlotValue(EMPTY)
    if not isinstance(value, str):
        return SlotValue(None, f"not a string: {type(value).__name__}")
    if value.strip().lower() in EMPTY_WORDS:
        return SlotValue(EMPTY)
    canonical = canonical_smiles(value.strip(), stereo=True)
    if not canonical.ok:
        return SlotValue(None, canonical.reason)
    return SlotValue(canonical.smiles)


def normalise_set(conditions: Mapping[str, object]) -> tuple[dict[str, str | None], list[str]]:
    """Normalise every slot of one condition set; a missing slot means none. Returns (keys, reasons)."""
    keys: dict[str, str | None] = {}
    reasons: list[str] = []
    for slot in SLOTS:
        value = normalise_slot(conditions.get(slot))
        keys[slot] = value.key
        if value.reason:
            reasons.append(f"{slot}: {value.reason}")
    return keys, reasons


def slot_topk(
    predicted: Sequence[Mapping[str, str | None]], gold: Mapping[str, str], ks: Iterable[int]
) -> dict[str, float]:
    """``{slot}_top{k}`` and ``overall_top{k}`` for normalised predicted sets against the gold set.

    A predicted slot of None (unusable) never matches, not even an empty gold slot; two
    molecules match when their standard InChIs are equal (``same_molecule``).
    """
    scores: dict[str, float] = {}
    for k in ks:
        considered = predicted[:k]
        for slot in SLOTS:
            hit = any(same_molecule(p.get(slot), gold[slot]) for p in considered)
            scores[f"{slot}_top{k}"] = float(hit)
        whole = any(all(same_molecule(p.get(s), gold[s]) for s in SLOTS) for p in considered)
        scores[f"overall_top{k}"] = float(whole)
    return scores


def same_molecule(predicted: str | None, gold: str | None) -> bool:
    """Equal canonical SMILES, or (where canonical SMILES differ, e.g. ``[HH]`` / ``[H][H]``)
    equal standard InChI. None (unusable) matches nothing; "" (empty) only "" ."""
    if predicted is None or gold is None:
        return False
    if predicted == gold:
        return True
    if EMPTY in (predicted, gold):
        return False
    first, second = inchi_of(predicted), inchi_of(gold)
    return first is not None and first == second


@lru_cache(maxsize=4096)
def inchi_of(smiles: str) -> str | None:
    from rdkit import Chem
    from rdkit.rdBase import BlockLogs

    block = BlockLogs()  # InChI warnings on odd inputs are not ours to print
    try:
        mol = Chem.MolFromSmiles(smiles)
        return (Chem.MolToInchi(mol) or None) if mol is not None else None
    finally:
        del block


def slot_metric_names(ks: Iterable[int]) -> list[str]:
    return [f"{name}_top{k}" for k in ks for name in (*SLOTS, "overall")]


# -- yield choice ----------------------------------------------------------------------------
def best_yield(yields: Mapping[str, float]) -> float:
    return max(yields.values())


def best_options(yields: Mapping[str, float]) -> list[str]:
    """Every option whose yield equals the maximum exactly, in menu order."""
    top = best_yield(yields)
    return [option for option, value in yields.items() if value == top]


def percentile(chosen: float, yields: Mapping[str, float]) -> float:
    """Mid-rank percentile of a yield within the menu (see module docstring)."""
    n = len(yields)
    if n == 1:
        return 1.0
    below = sum(1 for v in yields.values() if v < chosen)
    equal = sum(1 for v in yields.values() if v == chosen)
    return (below + (equal - 1) / 2) / (n - 1)


def normalised(chosen: float, best: float) -> float:
    return 1.0 if best <= 0 else chosen / best


def hit_name(k: int) -> str:
    return f"top{k}_hit"


def yield_metric_names(k: int) -> list[str]:
    names = ["top1_hit", "normalised_yield", "regret", "percentile", "yield"]
    if k > 1:
        names.insert(1, hit_name(k))
    return names


def choice_metrics(ranked: Sequence[str], yields: Mapping[str, float], k: int) -> dict[str, float]:
    """Metrics of a ranked choice of menu options (duplicates ignored, only the first k count)."""
    distinct = list(dict.fromkeys(ranked))[:k]
    if not distinct:
        return failed_metrics(yields, k)
    unknown = [option for option in distinct if option not in yields]
    if unknown:
        raise KeyError(f"not on the menu: {', '.join(unknown)}")
    best = best_yield(yields)
    chosen = yields[distinct[0]]
    scores = {
        "top1_hit": float(chosen == best),
        hit_name(k): float(any(yields[o] == best for o in distinct)),
        "normalised_yield": normalised(chosen, best),
        "regret": best - chosen,
        "percentile": percentile(chosen, yields),
        "yield": chosen,
    }
    return {name: scores[name] for name in yield_metric_names(k)}


def failed_metrics(yields: Mapping[str, float], k: int) -> dict[str, float]:
    """What a reply without a usable choice scores: nothing made."""
    scores = {"top1_hit": 0.0, hit_name(k): 0.0, "normalised_yield": 0.0,
              "regret": best_yield(yields), "percentile": 0.0, "yield": 0.0}
    return {name: scores[name] for name in yield_metric_names(k)}


def random_expectation(yields: Mapping[str, float], k: int) -> dict[str, float]:
    """Exact expected metrics of k distinct options drawn uniformly without replacement.

    The first pick is uniform over the menu, so its metrics are plain menu means; the top-k hit
    is ``1 - C(n - b, k) / C(n, k)`` with b tied-best options (no best among the k drawn).
    """
    n = len(yields)
    values = list(yields.values())
    best = max(values)
    b = sum(1 for v in values if v == best)
    mean = sum(values) / n
    draws = min(k, n)
    scores = {
        "top1_hit": b / n,
        hit_name(k): 1.0 - math.comb(n - b, draws) / math.comb(n, draws),
        "normalised_yield": normalised(mean, best),
        "regret": best - mean,
        "percentile": mean_percentile(values),
        "yield": mean,
    }
    return {name: scores[name] for name in yield_metric_names(k)}


def mean_percentile(values: Sequence[float]) -> float:
    """Mean of ``percentile`` over every option of a menu, in O(n log n) by grouping equal yields."""
    n = len(values)
    if n == 1:
        return 1.0
    counts = Counter(values)
    below = total = 0.0
    for value in sorted(counts):
        count = counts[value]
        total += count * (below + (count - 1) / 2)
        below += count
    return total / (n * (n - 1))


def global_means(items: Sequence[Mapping[str, float]]) -> dict[str, tuple[float, int]]:
    """Mean yield of every option over the items where it was measured, with that count."""
    sums: dict[str, list[float]] = {}
    for yields in items:
        for option, value in yields.items():
            sums.setdefault(option, []).append(value)
    return {option: (sum(v) / len(v), len(v)) for option, v in sums.items()}


def ranked_global_options(items: Sequence[Mapping[str, float]]) -> list[str]:
    """Every option, by mean yield over the items where it was measured (ties: first seen first)."""
    means = list(global_means(items).items())
    order = sorted(range(len(means)), key=lambda i: (-means[i][1][0], i))
    return [means[i][0] for i in order]


def best_global_option(items: Sequence[Mapping[str, float]]) -> str | None:
    """The option with the highest mean yield over all items ("the usual conditions")."""
    ranked = ranked_global_options(items)
    return ranked[0] if ranked else None


def global_choice(ranked: Sequence[str], yields: Mapping[str, float], k: int) -> dict[str, float]:
    """Score the global ranking on one item: options not measured there are skipped.

    So where the usual conditions were never run on an item (a missing cell of the grid), the
    baseline falls back to the next most usual conditions that were.
    """
    return choice_metrics([o for o in ranked if o in yields][:k], yields, k)


def mean_metrics(rows: Sequence[Mapping[str, float]]) -> dict[str, float | None]:
    if not rows:
        return {}
    return {name: sum(row[name] for row in rows) / len(rows) for name in rows[0]}


def baselines(items: Sequence[Mapping[str, float]], k: int) -> dict[str, dict[str, float | None]]:
    """Baseline rows over a set of items: exact random choice, and the best single global option.

    ``best-global-condition`` ranks the options once, by mean yield over all the items, then
    scores that ranking on each item (hindsight: it has seen every item's yields).
    ``best-global-condition-loo`` ranks them for each item from the other items only
    (leave-one-out), i.e. what was knowable before running that item.
    """
    if not items:
        return {}
    rows: dict[str, dict[str, float | None]] = {
        "random-choice (exact)": mean_metrics([random_expectation(y, k) for y in items]),
    }
    ranked = ranked_global_options(items)
    rows["best-global-condition"] = mean_metrics([global_choice(ranked, y, k) for y in items])
    if len(items) > 1:
        loo = [
            global_choice(ranked_global_options([y for j, y in enumerate(items) if j != i]), yields, k)
            for i, yields in enumerate(items)
        ]
        rows["best-global-condition-loo"] = mean_metrics(loo)
    return rows
