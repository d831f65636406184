"""SMolInstruct molecule tasks: captioning (MC), generation from a description (MG), forward
synthesis (FS) and retrosynthesis (RS).

Strict scoring (MG, FS, RS): ``accuracy``, the same molecule set by canonical SMILES
(``evalsuite.scorers.chemistry``, exact mode; the order of '.'-separated molecules is free);
``invalid`` when RDKit cannot read the answer; ``tanimoto``, Morgan r 2 / 2048 bits in [0, 1],
reported beside accuracy, never as it. MC: ``meteor`` (``evalsuite.scorers.meteor``).

OpenCompass (``protocol=opencompass``): FTSEvaluator, ``oc_score`` = Tanimoto x 100 (0 when
missing or unparsable), for MG, FS and RS; its number is the mean similarity, not exact match.
MC: MeteorEvaluator on the whole reply, 0..1.
"""

from __future__ import annotations

from typing import ClassVar

from evalsuite.benchmarks.smolinstruct.answers import tagged
from evalsuite.benchmarks.smolinstruct.base import SmolInstructTask, gold_core, hint
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.reward_spec import RewardSpec
from evalsuite.core.types import Prediction, Sample, Score
from evalsuite.scorers import chemistry, meteor
from evalsuite.scorers import opencompass as oc

SMILES_REPLY = ("Your reply should contain the SMILES representation of {what} wrapped in <SMILES> and </SMILES> tags. "
                "Your reply must be valid and chemically reasonable.")


class SmilesTask(SmolInstructTask):
    headline: ClassVar[str] = "accuracy"
    grade_cost: ClassVar[str] = "heavy"
    # as forward-synthesis: right is 1, a valid wrong molecule earns half its similarity
    reward: ClassVar[RewardSpec] = RewardSpec("accuracy", partial="tanimoto", partial_weight=0.5)
    oc_metric: ClassVar[Metric] = continuous("oc_score", worst=0.0, description="OpenCompass FTS: Morgan Tanimoto x 100")

    def strict_metrics(self) -> tuple[Metric, ...]:
        return (
            proportion("accuracy", description="the same molecule set as the gold (canonical SMILES)"),
            proportion("invalid", higher_is_better=False, description="the answer does not parse as SMILES"),
            continuous("tanimoto", worst=0.0, description="Morgan r=2 2048-bit Tanimoto to the gold"),
        )

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        return tagged(reply, "SMILES", single_token=True)

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"accuracy": 0.0, "invalid": None, "tanimoto": 0.0}, prediction.failure)
        parsed = chemistry.parse(str(prediction.value))
        if not parsed.ok:
            return Score({"accuracy": 0.0, "invalid": 1.0, "tanimoto": 0.0}, parsed.reason)
        gold = gold_core(str(sample.target))
        reason = chemistry.compare(chemistry.match_key(parsed, "exact"), chemistry.gold_key(gold, "exact"))
        similarity = chemistry.tanimoto(parsed, chemistry.gold_fingerprint(gold))
        return Score({"accuracy": float(reason is None), "invalid": 0.0, "tanimoto": similarity}, reason)

    def canonical_answer(self, prediction: object) -> str:
        found = chemistry.canonical_smiles(prediction) if isinstance(prediction, str) else None
        return found.smiles if found is not None and found.smiles else str(prediction)

    def score_opencompass(self, content: str, gold_output: str) -> float:
        return oc.fingerprint_similarity(content, gold_output)

    def oracle_response(self, sample: Sample) -> str:
        return f"<SMILES> {gold_core(str(sample.target))} </SMILES>"


class MoleculeGeneration(SmilesTask):
    description: ClassVar[str] = "SMolInstruct MG: a molecule from its description (canonical SMILES; OC: Tanimoto)"
    task: ClassVar[str] = "molecule_generation"
    hint: ClassVar[str] = hint(
        "You are an expert chemist. Given the description of a molecule, your task is to generate the potential SMILES representation of the molecule.",
        "The input contains the description of the molecule. " + SMILES_REPLY.format(what="the molecule").replace(
            "SMILES representation of the molecule", "potential SMILES representation of the molecule"))


class ForwardSynthesis(SmilesTask):
    description: ClassVar[str] = "SMolInstruct FS: the product of reactants and reagents (canonical SMILES; OC: Tanimoto)"
    task: ClassVar[str] = "forward_synthesis"
    hint: ClassVar[str] = hint(
        "You are an expert chemist. Given the SMILES representation of reactants and reagents, your task is to predict the potential product using your chemical reaction knowledge.",
        'The input contains both reactants and reagents, and different reactants and reagents are separated by ".". '
        + SMILES_REPLY.format(what="the predicted product"))


class Retrosynthesis(SmilesTask):
    description: ClassVar[str] = "SMolInstruct RS: reactants and reagents of a product (canonical SMILES set; OC: Tanimoto)"
    task: ClassVar[str] = "retrosynthesis"
    hint: ClassVar[str] = hint(
        "You are an expert chemist. Given the SMILES representation of the product, your task is to predict the potential reactants and reagents using your chemical reaction knowledge.",
        "The input contains the SMILES representation of the product. Your reply should contain the SMILES representation of both "
        "reactants and reagents, and all reactants and reagents should be enclosed **together** within a single pair of <SMILES> "
        'and </SMILES> tags, separated by ".". Your reply must be valid and chemically reasonable.')


class MoleculeCaptioning(SmolInstructTask):
    description: ClassVar[str] = "SMolInstruct MC: describe a molecule from its SMILES (METEOR)"
    task: ClassVar[str] = "molecule_captioning"
    hint: ClassVar[str] = hint(
        "You are an expert chemist. Given the SMILES representation of a molecule, your task is to describe the molecule in natural language.",
        "The input contains the SMILES representation of the molecule. Your reply should contain a natural language description of the molecule. "
        "Your reply must be valid and chemically reasonable.")
    headline: ClassVar[str] = "meteor"
    reward: ClassVar[RewardSpec] = RewardSpec("meteor", credit=("meteor",))  # METEOR is never exactly 1
    oc_metric: ClassVar[Metric] = continuous("oc_score", worst=0.0, description="OpenCompass MeteorEvaluator, 0..1")

    def strict_metrics(self) -> tuple[Metric, ...]:
        return (continuous("meteor", worst=0.0, description="METEOR of the caption against the gold, 0..1"),)

    def extract_strict(self, reply: str | None, sample: Sample) -> Prediction:
        text = (reply or "").strip()
        return Prediction(value=text, stage="whole-reply") if text else Prediction.failed("empty reply")

    def score_strict(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok:
            return Score({"meteor": 0.0}, prediction.failure)
        value = meteor.meteor(str(prediction.value), str(sample.target))
        return Score({"meteor": value}, None if meteor.synonyms_available() else "METEOR without WordNet synonyms (NLTK data not installed)")

    def score_opencompass(self, content: str, gold_output: str) -> float:
        return meteor.meteor(content, gold_output)
