"""OpenCompass's scoring conventions for SMolInstruct, ChemBench4K and the Matbench text tasks,
re-stated so a number can be set beside Intern-S1's model card (``--set protocol=opencompass``).

Read from open-compass/opencompass at a5acc4bba3b6 (2026-08-19); every rule names its source.
These are OpenCompass's rules, kept even where they are lenient or odd; evalsuite's strict
grading (the headline of every benchmark) is separate. The model's reasoning is removed before
any of this (OpenCompass's ``extract_non_reasoning_content``, opencompass/utils/text_postprocessors.py;
evalsuite's ``core.reasoning`` does the same), so these functions see the final content only.

opencompass/datasets/smolinstruct.py:

- ``extract_chemical_data``: the contents of every ``<MOLFORMULA>``/``<SMILES>``/``<IUPAC>`` tag
  pair (stripped); the evaluators take the last one. Without a tag, a few "reactants and
  reagents" markers are tried, and else the whole reply is the answer (an untagged reply is not
  counted missing). Applied to the gold ``output`` too.
- NCExactMatchEvaluator (I2S, S2I): plain string equality of the stripped answers, no SMILES
  canonicalisation, case-sensitive: 100 or 0 per item.
- NCElementMatchEvaluator (I2F, S2F): ``parse_molecule`` element counts, valid only when the
  formula matches ``([A-Za-z]\\d*)+([+-]\\d*)*$``; any letter counts as a symbol (no periodic
  table); equal count maps: 100, else 0 (a parse failure is 0).
- RMSEEvaluator (ESOL, Lipo): the first number in ``<NUMBER> x </NUMBER>`` or ``\\boxed{x}``
  (``-?\\d*\\.?\\d+``; no exponent, no '+'); **a reply without one counts as 0**; the per-item
  "RMSE" of one value is ``|pred - gold|``, so the reported score is a mean absolute error.
- ``smolinstruct_acc_0shot_postprocess`` + AccEvaluator (BBBP, ClinTox, HIV, SIDER): a bare
  yes/no, else the first of several "answer is yes" patterns (boxed, "the answer is", "Answer:",
  ``<BOOLEAN>``, a lone yes/no line, GLM's box), else the lower-cased reply starting or ending
  with "yes" / "no" (a substring test at either end); 100 when it equals the gold, else 0.
- FTSEvaluator (MG, FS, RS): Morgan radius 2, 2048 bits Tanimoto x 100 of the last tagged SMILES
  against the gold, the whole '.'-joined string read as one molecule; missing or unparsable: 0.
  Never exact match.
- MeteorEvaluator (MC): NLTK METEOR of the whitespace-split reply against the split gold, 0..1
  (``evalsuite.scorers.meteor``).

opencompass/utils/text_postprocessors.py ``first_capital_postprocess`` (ChemBench_gen_a9f753.py,
the rule-based ChemBench config): the first upper-case letter anywhere in the reply.

opencompass/datasets/generic.py ``generic_llmjudge_postprocess`` (ChemBench and Matbench
classification judges): the first 'A' or 'B' in the judge's reply, A = correct.
opencompass/datasets/matbench/post_process.py ``numerical_llmjudge_postprocess`` (Matbench
regression judge): the first ``[-+]?\\d*\\.\\d+|\\d+\\.\\d*|\\d+`` in the judge's reply, else 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_TEXT_CHARS = 200_000  # a longer reply is cut before any regex runs

TAGGED = re.compile(r"<(MOLFORMULA|SMILES|IUPAC)>(.*?)</\1>", re.DOTALL)
UNTAGGED_MARKERS = (
    "reactants and reagents are:\n```\n",
    "reactants and reagents:\n```\n",
    "Reactants and Reagents:**\n```\n",
    "Reactants and Reagents SMILES:**\n```\n",
    "Reactants and Reagents:**  \n`",
)
FORMULA_VALID = re.compile(r"([A-Za-z]\d*)+([\+\-]\d*)*$")
FORMULA_ATOM = re.compile(r"([A-Z][a-z]?)(\d+)?")
FORMULA_OPEN = re.compile(r"[\(\[\{]")
FORMULA_CLOSE = re.compile(r"[\)\]\}](\d+)?")
FORMULA_CHARGE = re.compile(r"[\+\-]\d*")
NUMBER = re.compile(r"(?:<NUMBER>\s*|\\boxed\{)\s*(-?\d*\.?\d+)\s*(?:</NUMBER>|\})")
YES, NO = "<BOOLEAN> Yes </BOOLEAN>", "<BOOLEAN> No </BOOLEAN>"
YES_NO_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"\\boxed\{\s*(yes|no)\s*\}",
    r"[Th]he\s+answer\s+is\s*[\.:\'\"“‘’\-]*\s*(yes|no)[\s\.,!?:;\'\"”’\-]*",
    r"[Aa]nswer:\s*(yes|no)\b",
    r"\*\*[Aa]nswer:\*\*\s*(yes|no)\b",
    r"\*\*[Aa]nswer\*\*:\s*(yes|no)\b",
    r"<BOOLEAN>\s*(yes|no)\s*</BOOLEAN>",
    r"^\s*(yes|no)[\.\?!]?\s*$",
    r"<\|begin_of_box\|>\s*(yes|no)\s*<\|end_of_box\|>",
))
JUDGE_VERDICT = re.compile(r"(A|B)")
JUDGE_NUMBER = re.compile(r"[-+]?\d*\.\d+|\d+\.\d*|\d+")


def _cut(text: str | None) -> str:
    return (text or "")[:MAX_TEXT_CHARS]


def chemical_answers(text: str | None) -> list[str]:
    """``extract_chemical_data``: tagged answers, else a marker's line, else the whole text."""
    text = _cut(text)
    found = [inner.strip() for _, inner in TAGGED.findall(text)]
    if found:
        return found
    for marker in UNTAGGED_MARKERS:
        if marker in text:
            return [text.split(marker)[-1].split("\n")[0]]
    return [text]


def last_chemical_answer(text: str | None) -> str:
    found = chemical_answers(text)
    return found[-1] if found else ""


def exact_name(reply: str | None, gold_output: str) -> float:
    """NCExactMatchEvaluator for one item: 100 or 0."""
    predicted, gold = last_chemical_answer(reply), last_chemical_answer(gold_output)
    return 100.0 if predicted and predicted.strip() == gold.strip() else 0.0


def element_counts(formula: str) -> dict[str, int] | None:
    """``parse_molecule``: element -> count ('+'/'-' keys hold a charge), None when invalid.
    Any capital letter with an optional small letter is a symbol; brackets nest."""
    if not formula or FORMULA_VALID.match(formula) is None:
        return None
    stack: list[dict[str, int]] = [{}]
    rest = formula
    while rest:
        atom, opening, closing = FORMULA_ATOM.match(rest), FORMULA_OPEN.match(rest), FORMULA_CLOSE.match(rest)
        if atom:
            stack[-1][atom.group(1)] = stack[-1].get(atom.group(1), 0) + int(atom.group(2) or 1)
            rest = rest[atom.end():]
        elif opening:
            stack.append({})
            rest = rest[opening.end():]
        elif closing and len(stack) > 1:
            group = stack.pop()
            for element, count in group.items():
                stack[-1][element] = stack[-1].get(element, 0) + count * int(closing.group(1) or 1)
            rest = rest[closing.end():]
        else:
            # OpenCompass's recursion stops at a character it cannot read and keeps what it had
            # (a lower-case letter first, a charge sign): the counts so far stand.
            break
    counts = dict(stack[0])
    charge = FORMULA_CHARGE.search(formula)
    if charge is not None:
        sign = charge.group()
        counts[sign[0]] = 1 if len(sign) == 1 else int(sign[1:])
    return counts


def element_match(reply: str | None, gold_output: str) -> float:
    """NCElementMatchEvaluator for one item: 100 when the element counts are equal, else 0."""
    predicted = last_chemical_answer(reply)
    if not predicted:
        return 0.0
    mine, gold = element_counts(predicted), element_counts(last_chemical_answer(gold_output))
    return 100.0 if mine is not None and mine == gold else 0.0


def first_number(text: str | None) -> float | None:
    found = NUMBER.findall(_cut(text))
    return float(found[0]) if found else None


def absolute_error(reply: str | None, gold_output: str) -> float:
    """RMSEEvaluator for one item: ``|pred - gold|``, a reply without a number read as 0."""
    gold = first_number(gold_output)
    if gold is None:
        raise ValueError(f"gold output holds no <NUMBER>: {gold_output[:80]!r}")
    predicted = first_number(reply)
    return abs((predicted if predicted is not None else 0.0) - gold)


def yes_no(reply: str | None) -> str:
    """``smolinstruct_acc_0shot_postprocess``: ``<BOOLEAN> Yes </BOOLEAN>``, ``... No ...`` or ''."""
    text = _cut(reply)
    if "</think>" in text:
        text = text.split("</think>")[-1]
    bare = text.strip().lower()
    if bare in ("yes", "no"):
        return YES if bare == "yes" else NO
    for pattern in YES_NO_PATTERNS:
        match = pattern.search(text)
        if match:
            return YES if match.group(1).lower() == "yes" else NO
    lowered = bare
    if lowered.startswith("yes") or lowered.endswith("yes"):
        return YES
    if lowered.startswith("no") or lowered.endswith("no"):
        return NO
    return ""


def yes_no_accuracy(reply: str | None, gold_output: str) -> float:
    """AccEvaluator on the post-processed reply: 100 when it equals the gold output string."""
    return 100.0 if yes_no(reply) == gold_output.strip() else 0.0


def fingerprint_similarity(reply: str | None, gold_output: str) -> float:
    """FTSEvaluator for one item: Morgan (r 2, 2048 bits) Tanimoto x 100; 0 when missing or
    unparsable. RDKit reads the string as it is (text after a space is a name to RDKit)."""
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator
    from rdkit.rdBase import BlockLogs

    predicted, gold = last_chemical_answer(reply), last_chemical_answer(gold_output)
    if not predicted:
        return 0.0
    block = BlockLogs()
    try:
        mine, theirs = Chem.MolFromSmiles(predicted[:2000]), Chem.MolFromSmiles(gold)
    finally:
        del block
    if mine is None or theirs is None:
        return 0.0
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return float(DataStructs.TanimotoSimilarity(generator.GetFingerprint(mine), generator.GetFingerprint(theirs))) * 100


def first_capital(reply: str | None) -> str:
    """``first_capital_postprocess``: the first upper-case letter of the reply, '' if none."""
    for char in _cut(reply):
        if char.isupper():
            return char
    return ""


def judge_verdict(judge_reply: str | None) -> str:
    """``generic_llmjudge_postprocess``: 'A' (correct), 'B' (incorrect) or 'unknown'."""
    match = JUDGE_VERDICT.search(_cut(judge_reply))
    return match.group(1) if match else "unknown"


def judge_number(judge_reply: str | None) -> float:
    """``numerical_llmjudge_postprocess``: the first number of the judge's reply, else 0 (a
    negative integer loses its sign: only the decimal alternatives take one)."""
    match = JUDGE_NUMBER.search(_cut(judge_reply))
    return float(match.group()) if match else 0.0


SMOLINSTRUCT_RULES: Mapping[str, str] = {
    "exact_name": "NCExactMatchEvaluator", "element_match": "NCElementMatchEvaluator",
    "absolute_error": "RMSEEvaluator", "yes_no_accuracy": "AccEvaluator + smolinstruct_acc_0shot_postprocess",
    "fingerprint_similarity": "FTSEvaluator", "meteor": "MeteorEvaluator",
}


# The frame of OpenCompass's generic correct/incorrect judge prompt (the JUDGE_TEMPLATE of
# ChemBench_llmjudge_gen_*.py and matbench_llm_judge_gen_*.py), re-stated in our words with the same
# inputs and the same verdict letters; each benchmark brings its own rules.
JUDGE_FRAME = """Please judge whether the candidate's answer to the question below is correct, comparing it with the gold target.
Rules:
{rules}

Grade the candidate's answer as one of:
A: CORRECT
B: INCORRECT
Reply with the letter "A" or "B" alone, with no text around it.

<Original Question Begin>:
{question}
<Original Question End>

<Gold Target Begin>:
{gold}
<Gold Target End>

<Predicted Answer Begin>:
{prediction}
<Predicted End>

Judging the correctness of the candidate's answer:"""


def judge_prompt(rules: tuple[str, ...], question: str, gold: str, prediction: str) -> str:
    """The correct/incorrect judge's request: numbered ``rules``, then the three texts."""
    numbered = "\n".join(f"{i}. {rule}" for i, rule in enumerate(rules, 1))
    return JUDGE_FRAME.format(rules=numbered, question=question, gold=gold, prediction=prediction)
