"""Forward synthesis: given reactants (and reagents when the data has them), predict the product.

Prompt: reactants and reagents as canonical SMILES (atom maps stripped), asking for the major
product on a final ``Final Answer: SMILES`` line.

Extraction: answer tag, ``Final Answer:`` line, ``\\boxed{}``, fenced code, JSON (a string, the
first of a list, or an object's ``product``/``smiles``), else a reply that is one token (the last
marker by position wins: ``evalsuite.core.extraction``). The first SMILES-looking token of the found
answer is the prediction. A longer reply without any of these is read by the flexible stage (its
last token RDKit parses), graded only by ``accuracy_flexible``.

Scoring in the ``match_mode`` option (see ``evalsuite.scorers.chemistry``); per-sample values:

- ``accuracy``: 1 if the predicted molecule set matches the gold product in that mode;
- ``invalid``: 1 if the prediction is not a valid molecule set; None when nothing was extracted;
- ``tanimoto``: Morgan r=2 2048-bit Tanimoto to the gold product (0 when invalid or missing).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.benchmarks.synthesis.common import MAX_REPLY_CHARS, SynthesisBase, mean
from evalsuite.benchmarks.synthesis.retrosynthesis import first_smiles, last_smiles_token
from evalsuite.core.benchmark import take
from evalsuite.core.extraction import FLEXIBLE, extract_answer
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import GenerationSettings, Prediction, Sample, SampleRecord, Score
from evalsuite.scorers import chemistry

STAGES = ("answer-tag", "final-answer", "boxed", "fenced-code", "json")


class ForwardSynthesis(SynthesisBase):
    name: ClassVar[str] = "forward-synthesis"
    description: ClassVar[str] = (
        "Forward reaction prediction: the major product from reactants and reagents "
        "(USPTO-50K or embedded reactions; exact match by RDKit)"
    )
    version: ClassVar[str] = "1"
    headline: ClassVar[str] = "accuracy"
    metrics: ClassVar[tuple[Metric, ...]] = (
        proportion("accuracy", description="the predicted product equals the gold (match mode)"),
        proportion("invalid", higher_is_better=False, description="the answer does not parse as SMILES"),
        continuous("tanimoto", worst=0.0, description="Morgan Tanimoto of the answer to the gold product"),
    )
    reward: ClassVar[RewardSpec] = RewardSpec("accuracy", partial="tanimoto", partial_weight=0.5)
    generation = GenerationSettings(max_tokens=512)

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        for reaction in take(self.reactions(data), limit):
            line, pictures = self.shown("Reactants", reaction.reactants)
            yield Sample(
                id=reaction.id,
                messages=[{"role": "user", "content": self.content(self.prompt(line, reaction.reagents), pictures)}],
                target=reaction.product,
                metadata={
                    "reaction_class": reaction.reaction_class,
                    "reactants": reaction.reactants,
                    "source": reaction.source,
                },
            )

    def prompt(self, reactants_line: str, reagents: str) -> str:
        lines = ["Predict the major organic product of this reaction.", reactants_line]
        if reagents:
            lines.append(f"Reagents: {reagents}")
        lines.append("Give the product as a SMILES string on a last line of the form 'Final Answer: SMILES'.")
        return "\n".join(lines)

    def canonical_answer(self, prediction: Any) -> str:
        """The product as canonical SMILES (fragment order ignored)."""
        canonical = chemistry.canonical_smiles(prediction) if isinstance(prediction, str) else None
        return canonical.smiles if canonical is not None and canonical.smiles is not None else str(prediction)

    def oracle_response(self, sample: Sample) -> str:
        return f"Final Answer: {sample.target}"

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        if reply is not None and len(reply) > MAX_REPLY_CHARS:
            return Prediction.failed(f"reply longer than {MAX_REPLY_CHARS} characters ({len(reply)})")
        found = extract_answer(reply, STAGES, fallback_whole_reply=True)
        if not found.ok:
            return Prediction.failed(found.failure or "no answer found", stage=found.stage)
        answer = found.answer
        if found.stage == "json":
            answer = json_product(found.parsed_json)
        elif found.stage == "whole-reply" and len((answer or "").split()) != 1:
            # no requested format: the flexible stage takes the reply's last molecule
            token = last_smiles_token(answer or "")
            return Prediction(token, stage=FLEXIBLE) if token else Prediction.failed("no answer found")
        # An answer with no SMILES-looking token is still an answer: RDKit will call it invalid.
        token = (first_smiles(answer) or answer.split()[0]) if answer and answer.split() else None
        if token is None:
            return Prediction.failed("no SMILES in the answer", stage=found.stage)
        return Prediction(token, stage=found.stage)

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        if isinstance(value, list) and value:
            value = value[0]
        if not isinstance(value, str):
            return Prediction.failed("invalid: structured prediction must be a SMILES string")
        return Prediction(value=value, stage="structured")

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        mode = self.option("match_mode")
        if not prediction.ok or not isinstance(prediction.value, str):
            return Score(
                {"accuracy": 0.0, "invalid": None, "tanimoto": 0.0},
                f"[{mode}] no answer: {prediction.failure or 'empty'}",
            )
        gold = chemistry.gold_key(sample.target, mode)
        parsed = chemistry.parse(prediction.value)
        exact_hit = parsed.ok and parsed.fragments == chemistry.gold_key(sample.target, "exact").items
        key = gold if exact_hit else chemistry.match_key(parsed, mode)  # same molecules: same key
        why = chemistry.compare(key, gold)
        values = {
            "accuracy": 1.0 if why is None else 0.0,
            "invalid": 0.0 if parsed.ok else 1.0,
            "tanimoto": chemistry.tanimoto(parsed, chemistry.gold_fingerprint(sample.target)),
        }
        return Score(values, f"[{mode}] correct" if why is None else f"[{mode}] wrong: {why}")

    def baselines(self, records: Sequence[SampleRecord]) -> dict[str, dict[str, float | None]]:
        """"largest reactant": answering the biggest reactant unchanged (a no-reaction guess)."""
        mode = self.option("match_mode")
        hits, sims = [], []
        for record in records:
            reactants = record.metadata.get("reactants")
            if not (isinstance(reactants, str) and isinstance(record.target, str)):
                continue
            parsed = chemistry.parse_cached(reactants)
            largest = chemistry.match_key(parsed, "largest-fragment")
            if not largest.ok or not largest.items:
                continue
            guess = chemistry.parse_cached(largest.items[0])
            gold = chemistry.gold_key(record.target, mode)
            hits.append(1.0 if chemistry.match_key(guess, mode).items == gold.items else 0.0)
            sims.append(chemistry.tanimoto(guess, chemistry.gold_fingerprint(record.target)))
        if not hits:
            return {}
        return {"largest reactant": {"accuracy": mean(hits), "tanimoto": mean(sims)}}


def json_product(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("product", "smiles", "answer"):
            if isinstance(value.get(key), str):
                return value[key]
        return None
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return None
