"""Retrosynthesis: given a product, propose up to k ranked reactant sets (USPTO-50K style).

Prompt: the product SMILES (canonical, atom maps stripped; with ``with_class=true`` also the
reaction class), asking for a JSON list of up to k reactant sets, best first.

Extraction (``ranked_candidates``), first that applies: a JSON list (strings; a list of
strings is one set; an object's ``reactants``/``smiles`` field), every ``Final Answer:`` line in
order, a numbered or bulleted list, the lines of a fenced code block, a one-token reply. Answer
tags (``<answer>``) narrow the search first. ``A + B`` is read as ``A.B``. At most 50 raw
candidates are read.

Scoring, in the ``match_mode`` option (see ``evalsuite.scorers.chemistry``): candidates are
canonicalised in rank order and deduplicated by their key in that mode (a repeat is dropped,
so it cannot push a later correct candidate out of the top k); an invalid candidate is a wrong
guess and keeps its rank. Only the first k distinct candidates count. Per-sample values:

- ``top_1``, ``top_3``, ``top_5``, ``top_10`` (those with n <= k): 1 if the gold reactant set is
  among the first n distinct candidates;
- ``invalid``: 1 if the top-ranked candidate is not a valid molecule set (RDKit parse and
  sanitisation, guard rails included); None when nothing was extracted;
- ``valid``: fraction of the counted candidates that are valid; None when nothing was extracted;
- ``tanimoto_top1``: Morgan r=2 2048-bit Tanimoto between the top candidate and the gold set
  (0 when invalid or nothing was extracted). A similarity, never an accuracy.

A failed extraction scores 0 on every top-n. The reason always starts with ``[mode]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.benchmarks.synthesis.common import (
    MAX_CANDIDATES,
    MAX_REPLY_CHARS,
    SynthesisBase,
    mean,
)
from evalsuite.core.benchmark import take
from evalsuite.core.errors import BenchmarkError
from evalsuite.core.extraction import (
    FINAL_ANSWER_LINE,
    FINAL_ANSWER_MARK,
    FLEXIBLE,
    answer_tag_markers,
    clean_markup,
    is_refusal,
    last_fenced_code,
    last_json,
    strip_think,
)
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import GenerationSettings, Prediction, Sample, SampleRecord, Score
from evalsuite.scorers import chemistry

TOP_N = (1, 3, 5, 10)
LIST_ITEM = re.compile(r"^[ \t]*(?:\(?\d{1,3}[.):]|[-*\u2022])[ \t]+(.+)$", re.MULTILINE)
EXAMPLES = (("CC(=O)O.OCC", "CC(=O)Cl.OCC"), ("O=C(O)c1ccccc1.CN", "O=C(Cl)c1ccccc1.CN"))
"""Format examples shown in the prompt; the second pair stands in for an item whose gold is in the first."""
SMILES_CHARS = re.compile(r"^[A-Za-z0-9@+\-\[\]\(\)=#$/\\%.:*~]+$")


class Retrosynthesis(SynthesisBase):
    name: ClassVar[str] = "retrosynthesis"
    description: ClassVar[str] = (
        "Single-step retrosynthesis: propose up to k ranked reactant sets for a product "
        "(USPTO-50K or embedded reactions; top-k exact match by RDKit)"
    )
    version: ClassVar[str] = "1"
    headline: ClassVar[str] = "top_1"
    reward: ClassVar[RewardSpec] = RewardSpec("top_1", partial="tanimoto_top1", partial_weight=0.5)
    options: ClassVar[dict[str, Any]] = {**SynthesisBase.options, "k": 10, "with_class": False}
    generation = GenerationSettings(max_tokens=1024)

    def declared_metrics(self) -> tuple[Metric, ...]:
        tops = [proportion(f"top_{n}", description=f"the gold reactant set among the first {n} distinct candidates")
                for n in TOP_N if n <= self.option("k")]
        return (*tops,
                continuous("valid", worst=0.0, description="share of distinct candidates RDKit parses"),
                proportion("invalid", higher_is_better=False, description="share of candidates RDKit cannot parse"),
                continuous("tanimoto_top1", worst=0.0, description="Morgan Tanimoto of the first candidate to the gold"))

    def validate(self) -> None:
        super().validate()
        if not 1 <= self.option("k") <= MAX_CANDIDATES:
            raise BenchmarkError(f"{self.name}: k must be between 1 and {MAX_CANDIDATES}")

    # -- samples ----------------------------------------------------------------------
    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        for reaction in take(self.reactions(data), limit):
            line, pictures = self.shown("Product", reaction.product)
            yield Sample(
                id=reaction.id,
                messages=[{"role": "user", "content": self.content(
                    self.prompt(line, reaction.class_label, self.example_for(reaction.reactants)), pictures)}],
                target=reaction.reactants,
                metadata={
                    "reaction_class": reaction.reaction_class,
                    "product": reaction.product,
                    "source": reaction.source,
                },
            )

    def example_for(self, gold: str) -> tuple[str, str]:
        """The format example of a prompt: the first pair of ``EXAMPLES`` holding no set that
        matches the item's own gold answer (in the scoring mode), so no prompt gives its answer away."""
        mode = self.option("match_mode")
        # The gold is already canonical (fragments sorted, as the loader writes it): in exact mode
        # its fragments are its key, with no second parse (and no cached molecule per row).
        gold_items = tuple(gold.split(".")) if mode == "exact" else chemistry.match_key(chemistry.parse(gold), mode).items
        for pair in EXAMPLES:
            if all(chemistry.gold_key(example, mode).items != gold_items for example in pair):
                return pair
        raise AssertionError("every format example matches one gold answer")  # EXAMPLES differ pairwise

    def prompt(self, product_line: str, class_label: str, example: tuple[str, str] = EXAMPLES[0]) -> str:
        k = self.option("k")
        lines = [
            (
                f"Propose up to {k} different sets of reactants from which the product below is "
                "made in one reaction step, ranked from most to least likely."
            ),
            product_line,
        ]
        if self.option("with_class"):
            lines.append(f"Reaction class: {class_label}")
        lines.append(
            "Write each reactant set as one SMILES string with its molecules separated by '.'. "
            "Do not list solvents or catalysts. End your reply with a JSON list of the sets, "
            f"best first, for example {json.dumps(list(example))}."
        )
        return "\n".join(lines)

    def canonical_answer(self, prediction: Any) -> str:
        """The first-ranked reactant set as canonical SMILES (molecule order ignored): maj@K
        votes on the reply's top-1 answer."""
        top = prediction[0] if isinstance(prediction, list) and prediction else prediction
        canonical = chemistry.canonical_smiles(top) if isinstance(top, str) else None
        return canonical.smiles if canonical is not None and canonical.smiles is not None else json.dumps(top)

    def oracle_response(self, sample: Sample) -> str:
        return f"The most likely reactant set first:\n{json.dumps([sample.target])}"

    # -- extraction ---------------------------------------------------------------------
    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        return ranked_candidates(reply)

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return Prediction.failed("invalid: structured prediction must be a list of SMILES strings")
        if not value:
            return Prediction.failed("no answer found", stage="structured")
        return Prediction(value=value[:MAX_CANDIDATES], stage="structured")

    # -- scoring ------------------------------------------------------------------------
    def score(self, prediction: Prediction, sample: Sample) -> Score:
        mode, k = self.option("match_mode"), self.option("k")
        tops = [n for n in TOP_N if n <= k]
        if not prediction.ok or not prediction.value:
            missing: dict[str, float | None] = {f"top_{n}": 0.0 for n in tops}
            missing.update(invalid=None, valid=None, tanimoto_top1=0.0)
            return Score(missing, f"[{mode}] no answer: {prediction.failure or 'no candidates'}")
        gold = chemistry.gold_key(sample.target, mode)
        if not gold.ok:  # guarded at load time; kept so a bad gold never crashes a run
            return Score({f"top_{n}": None for n in tops}, f"[{mode}] gold answer unusable: {gold.reason}")

        exact_gold = chemistry.gold_key(sample.target, "exact").items
        seen: set[tuple[str, ...]] = set()
        distinct: list[chemistry.Key] = []
        top1: chemistry.Parsed | None = None
        for text in prediction.value:
            if len(distinct) >= k:
                break
            parsed = chemistry.parse(text)
            if top1 is None:
                top1 = parsed
            # Equal canonical isomeric SMILES means the same molecules, hence the same key in
            # every mode: skip the mode's (possibly InChI) work for an exactly right answer.
            exact_hit = parsed.ok and parsed.fragments == exact_gold
            key = gold if exact_hit else chemistry.match_key(parsed, mode)
            if key.ok and key.items is not None:
                if key.items in seen:
                    continue
                seen.add(key.items)
            distinct.append(key)
        rank = next((i + 1 for i, key in enumerate(distinct) if key.ok and key.items == gold.items), None)
        values: dict[str, float | None] = {
            f"top_{n}": 1.0 if rank is not None and rank <= n else 0.0 for n in tops
        }
        assert top1 is not None  # the value is a non-empty list
        values["invalid"] = 0.0 if top1.ok else 1.0
        values["valid"] = sum(1 for key in distinct if key.ok) / len(distinct)
        values["tanimoto_top1"] = chemistry.tanimoto(top1, chemistry.gold_fingerprint(sample.target))
        if rank is not None:
            reason = f"[{mode}] correct at rank {rank}"
        else:
            why = chemistry.compare(distinct[0], gold)
            reason = f"[{mode}] no match in the top {k} ({len(distinct)} distinct); rank 1: {why}"
        return Score(values, reason)

    def baselines(self, records: Sequence[SampleRecord]) -> dict[str, dict[str, float | None]]:
        """"echo product": answering the product itself, to show what Tanimoto gives for free."""
        scores = []
        for record in records:
            product = record.metadata.get("product")
            if isinstance(product, str) and isinstance(record.target, str):
                scores.append(
                    chemistry.tanimoto(chemistry.parse_cached(product), chemistry.gold_fingerprint(record.target))
                )
        if not scores:
            return {}
        return {"echo product": {"top_1": 0.0, "tanimoto_top1": mean(scores)}}


def ranked_candidates(reply: str | None) -> Prediction:
    """The ranked reactant sets a reply proposes (raw strings, rank order, at most 50)."""
    if reply is None or not reply.strip():
        return Prediction.failed("empty reply")
    if len(reply) > MAX_REPLY_CHARS:
        return Prediction.failed(f"reply longer than {MAX_REPLY_CHARS} characters ({len(reply)})")
    text, unclosed = strip_think(reply)
    if unclosed:
        return Prediction.failed("unclosed think block", stage="think")
    region = answer_region(text)

    found = last_json(region)
    if found is not None:
        candidates = from_json(found[1])
        if candidates:
            return Prediction(candidates[:MAX_CANDIDATES], stage="json")

    finals = [clean_markup(m.group(1)) for m in FINAL_ANSWER_LINE.finditer(region)]
    finals = [f for f in finals if f]
    if finals:
        candidates = [c for c in (first_smiles(f) for f in finals) if c]
        if candidates:
            return Prediction(candidates[:MAX_CANDIDATES], stage="final-answer")
    elif (alone := FINAL_ANSWER_LINE.search(region)) is not None:  # "Final Answer:" alone: a list follows
        region = region[alone.end():]

    items = [c for c in (first_smiles(m.group(1)) for m in LIST_ITEM.finditer(region)) if c]
    if items:
        return Prediction(items[:MAX_CANDIDATES], stage="numbered-list")

    code = last_fenced_code(region)
    if code:
        lines = [c for c in (first_smiles(line) for line in code.splitlines()) if c]
        if lines:
            return Prediction(lines[:MAX_CANDIDATES], stage="fenced-code")

    stripped = clean_markup(region.strip())
    if stripped and len(stripped.split()) == 1:
        token = first_smiles(stripped)
        if token:
            return Prediction([token], stage="whole-reply")
    if is_refusal(text):
        return Prediction.failed("refusal")
    token = last_smiles_token(region)
    if token:
        return Prediction([token], stage=FLEXIBLE)
    return Prediction.failed("no answer found")


def answer_region(text: str) -> str:
    """Where the candidates are read: the last answer tag's content, unless a ``Final Answer:``
    follows that tag (the last marker by position wins), then the text after the tag."""
    tags = answer_tag_markers(text)
    if not tags:
        return text
    last = max(tags, key=lambda m: m.start)
    return text[last.end:] if FINAL_ANSWER_MARK.search(text, last.end) else last.answer.strip()


def from_json(value: Any) -> list[str]:
    """Reactant sets from a decoded JSON answer (see the module docstring)."""
    if isinstance(value, dict):
        for key in ("candidates", "reactant_sets", "answers", "reactants", "smiles", "answer"):
            if key in value:
                return from_json(value[key] if isinstance(value[key], list) else [value[key]])
        return []
    if not isinstance(value, list):
        return []
    out: list[str] = []
    for item in value[: MAX_CANDIDATES * 2]:
        if isinstance(item, str):
            out.append(item.strip().replace(" + ", "."))
        elif isinstance(item, list) and all(isinstance(x, str) for x in item):
            out.append(".".join(x.strip() for x in item))
        elif isinstance(item, dict):
            inner = from_json(item)
            if inner:
                out.append(inner[0])
    return [c for c in out if c]


PROSE_LETTERS = frozenset({"I", "A", "a"})  # "I" parses as iodine; a pronoun is no answer


# Upper-case English words that RDKit happens to read as SMILES ("NO" is hydroxylamine, "IN"
# iodoamine): in a reply they are words, not molecules.
ENGLISH_WORDS = frozenset({
    "NO", "ON", "IN", "IS", "IF", "OF", "SO", "BIN", "SIN", "NIB", "BOP", "COB", "CON", "COP", "FIN", "FOB",
    "ION", "NIP", "NOB", "PIN", "SIP", "SOB", "SOP", "SON", "POP", "SNOB", "SNIP", "SPIN", "BOSS", "COIN",
    "ICON", "INFO", "NOON", "SOON", "CONS", "COPS", "BIOS", "OPS", "BONN", "SCOOP", "SNOOP", "SPOON",
})
ELEMENT_COUNT = re.compile(r"([A-Z][a-z]?)(\d*)")
NAME_WORD = re.compile(r"^[A-Za-z][a-z-]{2,}[,:]?$")  # "monoxide", "oxide", "Ethanol"


def formula_like(token: str) -> bool:
    """A molecular formula rather than a SMILES: element symbols with counts, none repeated
    (CO, NO, SO2, CN; a SMILES chain repeats its atoms: CCO, OCCO)."""
    parts = ELEMENT_COUNT.findall(token)
    if "".join(symbol + count for symbol, count in parts) != token:
        return False
    symbols = [symbol for symbol, _ in parts]
    return len(symbols) == len(set(symbols))


def plausible_smiles(raw: str, token: str, previous: str | None) -> bool:
    """Whether a token RDKit reads is a molecule in its context: not an English word in capitals,
    not a formula in parentheses after a name ("carbon monoxide (CO)" names CO, it does not give
    the SMILES of methanol)."""
    if token.upper() == token and token.isalpha() and token in ENGLISH_WORDS:
        return False
    parenthesised = raw.lstrip("`*_\"'").startswith("(") and raw.rstrip(",;.:!?`*_\"'").endswith(")")
    return not (parenthesised and previous is not None and NAME_WORD.match(previous) and formula_like(token))


def unwrapped(raw: str) -> str:
    """A token without the quotes, markup, sentence punctuation and one pair of enclosing
    parentheses around it ("(CC(=O)O)." -> CC(=O)O; "CC(C)" keeps its branch)."""
    token = raw.strip("`*_\"'").rstrip(",;.:!?").strip("`*_\"'")
    if token.startswith("(") and token.endswith(")"):
        token = token[1:-1]
    elif token.startswith("(") and token.count("(") > token.count(")"):
        token = token[1:]  # "(CCO" at the start of a parenthesis that closes later
    elif token.endswith(")") and token.count(")") > token.count("("):
        token = token[:-1]
    return token


def last_smiles_token(text: str) -> str | None:
    """The flexible span of a reply without the requested format: its last token that RDKit
    reads as a molecule and that is a plausible SMILES where it stands ("The product is CCO."
    -> CCO; "carbon monoxide (CO)" -> none: ``plausible_smiles``)."""
    words = clean_markup(text).replace(" + ", ".").split()[-200:]
    for index in range(len(words) - 1, -1, -1):
        raw = words[index]
        token = unwrapped(raw)
        if token and token not in PROSE_LETTERS and SMILES_CHARS.match(token) and chemistry.parse_cached(token).ok \
                and plausible_smiles(raw, token, words[index - 1] if index else None):
            return token
    return None


def first_smiles(line: str) -> str | None:
    """The first SMILES-looking token of a line ("A + B" read as "A.B"); labels skipped."""
    line = clean_markup(line).replace(" + ", ".")
    for token in line.split():
        token = token.strip("`*_\"'").rstrip(",;.")
        if not token or token.endswith(":"):
            continue
        if SMILES_CHARS.match(token):
            return token
    return None
