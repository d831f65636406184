"""Materials grading with pymatgen: parse answers, place energies on the convex hull, and score
stability predictions.

Two jobs, one section each (the stability metrics are in ``scorers/stability_metrics.py``):

1. Parsing model output. ``parse_composition`` (formulas with parentheses, fractional or
   reduced forms), ``parse_structure`` (CIF or POSCAR text), ``parse_energy`` (a number with
   an optional unit, returned in eV/atom) and ``parse_stability`` ("stable" / "unstable" /
   "on the hull" ...). Each returns a value or a reason; none raises on model output.
2. Thermodynamics. ``HullReference`` holds reference entries (optionally corrected with the
   Materials Project 2020 scheme, ``MaterialsProject2020Compatibility``, for entries whose
   energies are raw) and builds one ``PhaseDiagram`` per chemical system, cached. ``analyse``
   gives an entry's energy above the hull, its formation energy per atom and its decomposition.

The shipped reference data (``pymatgen/analysis/compatibility/calc_compounds.json.gz``: 423
Materials Project GGA/GGA+U ``ComputedEntry`` objects with raw energies, one per reduced formula,
each with the ``e_above_hull`` that Materials Project stored for it) is loaded by
``shipped_entries``. Recomputing every hull distance from those 423 entries alone, after MP2020
corrections, one phase diagram per chemical system: 371 of 423 agree with the stored value to
1e-6 eV/atom (all 89 elements, 282 of 334 compounds). In all 52 others the recomputed distance is
*lower* than the stored one, never higher (largest gap WCl4O: 0 vs 0.564 eV/atom): the stored
values were computed against the full Materials Project database, whose competing phases
(lower-energy polymorphs and other compounds of the same system) are not in the shipped file,
and a hull over fewer phases can only lie on or above the full hull. (Applying no correction
gives 353 agreements, the legacy MP scheme 368.) See tests/materials/test_shipped_entries.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

STABILITY_THRESHOLD = 0.0  # eV/atom; Matbench Discovery's default
KJ_PER_MOL_PER_EV = 96.48533212331  # 1 eV per particle = F (kJ/mol) = e * N_A / 1000
KJ_PER_KCAL = 4.184
MAX_FORMULA_CHARS = 200
MAX_STRUCTURE_CHARS = 200_000
ZERO_TOLERANCE = 1e-8  # eV/atom: hull distances this small are floating-point noise of the hull


# -- 1. parsing model output ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed value, or the reason there is none."""

    value: Any
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def parse_composition(text: str | None) -> Parsed:
    """A pymatgen ``Composition`` from a formula (``Ca3(PO4)2``, ``Li0.5Fe0.5PO4``, ``Fe2O3``)."""
    import warnings

    from pymatgen.core import Composition

    text = (text or "").strip()
    if not text:
        return Parsed(None, "empty formula")
    if len(text) > MAX_FORMULA_CHARS:
        return Parsed(None, f"formula longer than {MAX_FORMULA_CHARS} characters")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            composition = Composition(text)
    except Exception as exc:  # noqa: BLE001 - pymatgen raises ValueError, KeyError ... on bad formulas
        return Parsed(None, f"invalid formula {text[:80]!r}: {exc}"[:200])
    # pymatgen accepts unknown symbols such as "Xx" as dummy species and flags them invalid
    if not composition.valid:
        return Parsed(None, f"invalid formula {text[:80]!r}: unknown element")
    if composition.num_atoms <= 0 or any(amount <= 0 for amount in composition.values()):
        return Parsed(None, f"invalid formula {text[:80]!r}: amounts must be positive")
    return Parsed(composition)


def parse_structure(text: str | None) -> Parsed:
    """A pymatgen ``Structure`` from CIF text (recognised by ``data_`` / ``_cell``) or POSCAR."""
    import warnings

    from pymatgen.core import Structure

    text = (text or "").strip()
    if not text:
        return Parsed(None, "empty structure")
    if len(text) > MAX_STRUCTURE_CHARS:
        return Parsed(None, f"structure longer than {MAX_STRUCTURE_CHARS} characters")
    fmt: Literal["cif", "poscar"] = "cif" if re.search(r"^\s*(data_|_cell_length_a)", text, re.MULTILINE) else "poscar"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structure = Structure.from_str(text, fmt=fmt)
    except Exception as exc:  # noqa: BLE001 - pymatgen's parser raises assorted errors on bad text
        return Parsed(None, f"invalid {fmt.upper()}: {type(exc).__name__}: {exc}"[:200])
    if len(structure) == 0:
        return Parsed(None, f"invalid {fmt.upper()}: no sites")
    return Parsed(structure)


_NUMBER = r"(?<![\w.])[-+\u2212\u2013]?\s?(?:\d+(?:\.\d*)?|\.\d+)(?:\s?[eE][-+\u2212]?\d+)?(?![\w.]*\d)"
_UNIT = r"(?P<unit>meV|eV|kJ|kcal)(?![a-zA-Z])"
_ENERGY = re.compile(rf"(?P<number>{_NUMBER})(?:\s*{_UNIT})?")
_PER_FORMULA_UNIT = re.compile(r"^\s*(?:/|per)\s*(?:f\.?\s?u\b|formula)", re.IGNORECASE)
_SCALE_TO_EV = {
    None: 1.0,  # the prompt asks for eV/atom, so a bare number is read in eV/atom
    "eV": 1.0,
    "meV": 1e-3,
    "kJ": 1.0 / KJ_PER_MOL_PER_EV,  # kJ per mol of atoms
    "kcal": KJ_PER_KCAL / KJ_PER_MOL_PER_EV,
}


def parse_energy(text: str | None) -> Parsed:
    """An energy per atom in eV/atom from ``0.05 eV/atom``, ``50 meV/atom``, ``-0.1``,
    ``-9.6 kJ/mol`` (per mol of atoms) or ``kcal/mol``.

    The last number that carries an energy unit wins; without units, the last number. Digits
    inside formulas (``Fe2O3``) are not numbers. Energies per formula unit are refused, since
    converting them needs the formula unit's atom count, which the answer may not state.
    """
    text = (text or "").strip()
    if not text:
        return Parsed(None, "empty answer")
    matches = list(_ENERGY.finditer(text))
    if not matches:
        return Parsed(None, "no number in answer")
    with_unit = [m for m in matches if m.group("unit")]
    match = (with_unit or matches)[-1]
    unit = match.group("unit")
    if unit and _PER_FORMULA_UNIT.match(text[match.end():]):
        return Parsed(None, "energy given per formula unit, not per atom")
    raw = re.sub(r"\s", "", match.group("number")).replace("\u2212", "-").replace("\u2013", "-")
    try:
        value = float(raw) * _SCALE_TO_EV[unit]
    except ValueError:
        return Parsed(None, f"unreadable number {raw!r}")
    if not math.isfinite(value):
        return Parsed(None, f"non-finite number {raw!r}")
    return Parsed(value)


_HULL = r"(?:the\s+)?(?:convex\s+)?hull"


def _num_unit(name: str) -> str:
    return (rf"(?P<{name}>[-+\u2212]?\s?(?:\d+(?:\.\d*)?|\.\d+)(?:\s?[eE][-+\u2212]?\d+)?|zero)"
            rf"\s*(?:meV|eV)?(?:\s*/\s*atom|\s+per\s+atom)?")


# One claim about the compound per match. Order matters: a hull phrase with its number is read
# before the bare words in it, a negation before the word it negates.
_CLAIM = re.compile(
    # "its energy above the hull is 0.05 eV/atom", "E_hull = 0", "a hull distance of 12 meV/atom"
    rf"(?P<hull_value>(?:(?:energy|distance)\s+(?:above|to|from)\s+{_HULL}|e[\s_-]?hull|e[\s_-]?above[\s_-]?hull"
    rf"|hull\s+distance)\s*(?:\(\s*e[\s_-]?hull\s*\)\s*)?(?:is|of|=|:|equals|would\s+be|at)?\s*"
    rf"(?:about|approximately|roughly|around|only|just|~|\u2248)?\s*{_num_unit('n1')})"
    # "20 meV/atom above the hull"
    rf"|(?P<value_hull>{_num_unit('n2')}\s+above\s+{_HULL})"
    rf"|(?P<hull_positive>(?:energy|distance)\s+(?:above|to|from)\s+{_HULL}\s+(?:is\s+)?(?:\w+\s+but\s+)?(?:positive|non-?zero"
    rf"|greater\s+than\s+(?:zero|0)|larger\s+than\s+(?:zero|0)))"
    rf"|(?P<stable_neg>\bnot\s+(?:(?:thermodynamically|energetically)\s+)?unstable\b|\bnot\s+(?:lie\s+|sit\s+)?above\s+{_HULL}\b)"
    rf"|(?P<unstable_neg>\b(?:not|isn't|isn\u2019t|non|never)[\s-]+(?:(?:thermodynamically|energetically)\s+)?"
    rf"(?:stable|(?:(?:lie|sit|be)\s+)?on\s+{_HULL})\b|\b(?:doesn't|doesn\u2019t)\s+(?:lie|sit)\s+on\s+{_HULL}\b)"
    rf"|(?P<unstable>\bunstable\b|\bmeta-?stable\b|(?<!energy\s)\b(?:above|off)\s+{_HULL}\b)"
    rf"|(?P<stable>\bstable\b|\b(?:on|below|lies\s+on)\s+{_HULL}\b)",
    re.IGNORECASE,
)
# A verdict at the very start of the answer line ("stable (its energy above the hull is 0)",
# "Yes, ...", "The compound is unstable; ...") is the model's answer, whatever follows it.
_LEAD = re.compile(
    r"^[\s*_`'\"#>:-]*(?:(?:the\s+)?(?:answer|verdict|conclusion)\s*(?:is|:)\s*)?[*_`'\"]*"
    r"(?:(?:it|this|the\s+\w+|this\s+\w+|[A-Z][A-Za-z0-9().]*)\s+(?:is|'s)\s+)?"
    r"(?:(?:thermodynamically|energetically)\s+)?"
    r"(?P<verdict>not\s+(?:(?:thermodynamically|energetically)\s+)?stable|not\s+unstable|unstable|meta-?stable"
    r"|non-?stable|stable|yes|no)\b(?!\s+(?:if|when|whenever|means)\b)",
    re.IGNORECASE,
)
# Text that states no verdict about this compound: a definition with a generic subject ("A
# material is stable when its energy above the hull is 0 eV/atom"), a question, the two options
# named side by side, an open "whether" clause.
_GENERIC = re.compile(
    r"\b(?:an?|any|every|each)\s+(?:\w+\s+)?(?:material|compound|crystal|phase|structure|solid)s?\b"
    r"|^\W*(?:materials|compounds|crystals|phases|structures|solids)\b"
    r"|\b(?:stable|stability|unstable)\s+(?:means|is\s+defined|refers)\b|\bby\s+definition\b|\bdefined\s+as\b",
    re.IGNORECASE,
)
_CONDITION = re.compile(r"\b(?:when|whenever|if|means|defined|definition|whose|i\.e\.)", re.IGNORECASE)
_OPTIONS = re.compile(r"\b(?:un)?stable\s*(?:/|or|vs\.?|versus)\s*(?:un)?stable\b"
                      r"|\bwhether\b[^.;,!?\n]*"
                      # "the material is stable when its energy above the hull is 0": a condition
                      r"|\b(?:(?:un|meta-?)?stable|on\s+the\s+(?:convex\s+)?hull)\s+(?:only\s+)?"
                      r"(?:when|if|whenever|provided|as\s+long\s+as)\b[^.;!?\n]*", re.IGNORECASE)
_CLAUSE_END = re.compile(r"(?<=[.!?;])\s+|\n+|(?<=\))\s*(?=[A-Z])")
_UNCERTAIN = re.compile(r"\b(?:not\s+sure|unsure|uncertain|cannot\s+(?:be\s+)?(?:determine|tell|say)|can't\s+(?:determine|tell|say)"
                        r"|unable\s+to\s+(?:determine|tell|say)|unclear|unknown)\b", re.IGNORECASE)


def _claims(clause: str) -> list[bool]:
    """The stability claims in one clause, in order (True = stable)."""
    found: list[bool] = []
    for match in _CLAIM.finditer(clause):
        kind = match.lastgroup
        if kind in ("hull_value", "value_hull"):
            raw = re.sub(r"\s", "", match.group("n1") or match.group("n2")).replace("\u2212", "-")
            value = 0.0 if raw.lower() == "zero" else float(raw)
            found.append(value <= STABILITY_THRESHOLD)
        else:
            found.append(kind in ("stable", "stable_neg"))
    return found


def parse_stability(text: str | None) -> Parsed:
    """True for stable, False for unstable, read as a chemist reads the answer line.

    - A verdict that opens the answer wins (``stable (its energy above the hull is 0 eV/atom)``,
      ``Yes, ...``, ``The compound is unstable; ...``).
    - Otherwise the last claim about the compound: ``stable``, ``unstable``, ``not stable``,
      ``metastable`` (above the hull, so unstable), ``lies on / above the hull`` and hull
      distances with their number (``its energy above the hull is 0.03 eV/atom``: unstable; ``...
      is 0 eV/atom``: stable). ``yes`` / ``no`` count only as the opening word.
    - Restated definitions (a generic subject with a condition: "a material is stable when its
      energy above the hull is 0"), questions, "whether ..." clauses and the two options named
      together ("stable or unstable") are no claim. An answer without a claim is a failure.
    """
    text = (text or "").strip()
    if not text:
        return Parsed(None, "empty answer")
    lead = _LEAD.match(text)
    if lead:
        verdict = re.sub(r"\s+", " ", lead.group("verdict").lower())
        return Parsed(verdict in ("stable", "yes", "not unstable"))
    claims: list[bool] = []
    for clause in _CLAUSE_END.split(text):
        clause = clause.strip()
        if not clause or clause.endswith("?"):
            continue
        if _GENERIC.search(clause) and _CONDITION.search(clause):
            continue  # a definition, not a claim about this compound
        claims.extend(_claims(_OPTIONS.sub(" ", clause)))
    if not claims:
        if _UNCERTAIN.search(text):
            return Parsed(None, "no stability verdict: the answer says it cannot tell")
        if _CLAIM.search(text):
            return Parsed(None, "no stability verdict: the answer only restates the definition, asks, "
                                "or names the options")
        return Parsed(None, "no stability label (stable/unstable) in answer")
    return Parsed(claims[-1])


# -- 2. thermodynamics ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HullPoint:
    """Where one entry lies relative to the reference hull of its chemical system.

    ``e_above_hull`` (eV/atom) may be negative for an entry below the reference hull.
    ``decomposition`` maps the reduced formula of each hull phase to its fraction of the atoms
    (sums to 1); a stable reference entry decomposes into itself.
    """

    e_above_hull: float
    e_form_per_atom: float
    decomposition: dict[str, float] = field(default_factory=dict)

    @property
    def stable(self) -> bool:
        return self.e_above_hull <= STABILITY_THRESHOLD


def chemical_system(composition: Any) -> str:
    """``Fe-O`` style key: element symbols sorted alphabetically, joined with ``-``."""
    return "-".join(sorted(el.symbol for el in composition.elements))


def apply_mp2020(entries: Iterable[Any]) -> tuple[list[Any], list[str]]:
    """Entries with MP2020 corrections applied to those whose energies are raw (no correction
    yet); already-corrected entries pass unchanged. Returns (kept, ids of entries the scheme
    refuses, e.g. an unsupported run type)."""
    import warnings

    from pymatgen.entries.compatibility import MaterialsProject2020Compatibility

    entries = list(entries)
    raw = [e for e in entries if getattr(e, "correction", 0.0) == 0.0 and hasattr(e, "parameters")]
    raw_ids = {id(e) for e in raw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        processed = MaterialsProject2020Compatibility().process_entries(raw, inplace=False)
    kept_ids = {e.entry_id for e in processed}
    dropped = [str(e.entry_id) for e in raw if e.entry_id not in kept_ids]
    return [e for e in entries if id(e) not in raw_ids] + list(processed), dropped


class HullReference:
    """Reference entries and their convex hulls, one ``PhaseDiagram`` per chemical system.

    A chemical system's diagram holds every reference entry whose elements are a subset of it;
    it is built on first use and cached. ``mp2020=True`` corrects raw ``ComputedEntry``
    energies with the MP2020 scheme first (``PDEntry`` objects have no run parameters: use
    ``mp2020=False`` for them).
    """

    def __init__(self, entries: Iterable[Any], *, mp2020: bool = True):
        entries = list(entries)
        self.dropped: list[str] = []
        if mp2020:
            entries, self.dropped = apply_mp2020(entries)
        self.entries = entries
        self._elements = [frozenset(el.symbol for el in e.composition.elements) for e in entries]
        self._diagrams: dict[str, Any] = {}

    def phase_diagram(self, chemsys: str) -> Any:
        from pymatgen.analysis.phase_diagram import PhaseDiagram

        if chemsys not in self._diagrams:
            wanted = frozenset(chemsys.split("-"))
            members = [e for e, els in zip(self.entries, self._elements, strict=False) if els <= wanted]
            missing = sorted(wanted - {next(iter(els)) for els in self._elements if len(els) == 1
                                       and els <= wanted})
            if missing:
                raise ValueError(f"no elemental reference entry for {', '.join(missing)} in {chemsys}")
            self._diagrams[chemsys] = PhaseDiagram(members)
        return self._diagrams[chemsys]

    def analyse(self, entry: Any) -> HullPoint:
        """Energy above hull (allowed to be negative), formation energy and decomposition."""
        diagram = self.phase_diagram(chemical_system(entry.composition))
        decomposition, e_above_hull = diagram.get_decomp_and_e_above_hull(
            entry, allow_negative=True, check_stable=False
        )
        if abs(e_above_hull) < ZERO_TOLERANCE:
            e_above_hull = 0.0
        fractions: dict[str, float] = {}
        for phase, amount in decomposition.items():
            name = phase.composition.reduced_formula
            fractions[name] = fractions.get(name, 0.0) + float(amount)
        return HullPoint(
            e_above_hull=float(e_above_hull),
            e_form_per_atom=float(diagram.get_form_energy_per_atom(entry)),
            decomposition=dict(sorted(fractions.items())),
        )


def shipped_entries_path() -> Path:
    """pymatgen's ``calc_compounds.json.gz``, found without importing pymatgen's analysis
    modules (importing ``pymatgen.analysis.compatibility`` alone takes about a second)."""
    import importlib.util

    spec = importlib.util.find_spec("pymatgen")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pymatgen is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "analysis" / "compatibility" / "calc_compounds.json.gz"


def shipped_entry_dicts() -> list[dict[str, Any]]:
    """The shipped entries as the JSON dicts the file holds (``entry_id``, ``composition``,
    ``energy``, ``data["e_above_hull"]`` ...), sorted by entry id: enough for anything that
    needs no energies corrected and no hull, at a fraction of ``shipped_entries``' cost."""
    import gzip
    import json

    with gzip.open(shipped_entries_path(), "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return sorted(data.values(), key=lambda item: str(item["entry_id"]))


def shipped_entries() -> list[Any]:
    """The 423 Materials Project ``ComputedEntry`` objects pymatgen ships (raw energies; the
    stored MP hull distance is in ``entry.data["e_above_hull"]``), sorted by entry id."""
    from pymatgen.entries.computed_entries import ComputedEntry

    return [ComputedEntry.from_dict(item) for item in shipped_entry_dicts()]
