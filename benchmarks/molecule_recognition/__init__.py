"""molecule-recognition: a drawn molecule -> its SMILES (optical chemical structure recognition).

The molecules are the distinct reactants and products of the embedded reaction set
(benchmarks/synthesis/reactions.csv), or the products of a USPTO-50K file given with ``--data``.
Each is drawn by RDKit (``evalsuite.benchmarks.drawing``) with options varied per molecule by the seed:
picture size, stereo wedges or none, explicit hydrogens, rotation; the options are in every
sample's metadata. The target is the canonical SMILES of what the picture shows (without
stereochemistry where no wedges are drawn). The picture is the only place the molecule is named:
the prompt's text is the same for every sample.

The reply is read as forward-synthesis reads its product (last answer marker, one SMILES), and
graded with RDKit in every match mode at once: ``valid`` (the answer parses), ``exact`` (canonical
isomeric SMILES), ``no_stereo``, ``inchikey`` (standard InChIKey), and ``tanimoto`` (Morgan r = 2,
2048 bits); grouped by heavy-atom count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.benchmarks.drawing import DrawOptions, drawn, varied
from evalsuite.benchmarks.synthesis.common import embedded_path, load_reactions
from evalsuite.benchmarks.synthesis.forward import ForwardSynthesis
from evalsuite.core import images
from evalsuite.core.benchmark import BenchmarkBase, take
from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError
from evalsuite.core.metrics import Metric, continuous, proportion
from evalsuite.core.types import BenchmarkResult, GenerationSettings, Prediction, Sample, SampleRecord, Score
from evalsuite.scorers import chemistry

PROMPT = ("The picture shows the structure of one molecule. Write the molecule as a SMILES string. "
          "End your reply with a last line of the form 'Final Answer: SMILES'.")
BUCKETS = ((1, 10, "1-10"), (11, 20, "11-20"), (21, 30, "21-30"), (31, 10**9, "31+"))
MODES = {"exact": "exact", "no_stereo": "no-stereo", "inchikey": "inchikey"}


def size_bucket(heavy_atoms: int) -> str:
    return next(label for lo, hi, label in BUCKETS if lo <= heavy_atoms <= hi)


class MoleculeRecognition(BenchmarkBase):
    name: ClassVar[str] = "molecule-recognition"
    description: ClassVar[str] = ("Optical chemical structure recognition: a molecule drawn by RDKit -> its SMILES "
                                  "(embedded reaction molecules or USPTO-50K products; exact, no-stereo, InChIKey, Tanimoto)")
    version: ClassVar[str] = "1"
    headline: ClassVar[str] = "exact"
    group_by: ClassVar[tuple[str, ...]] = ("heavy_atoms",)
    group_order: ClassVar[dict[str, tuple[Any, ...]]] = {"heavy_atoms": tuple(b[2] for b in BUCKETS)}
    options: ClassVar[dict[str, Any]] = {"detail": images.DEFAULT_DETAIL, "vary": True}
    generation = GenerationSettings(max_tokens=512)
    metrics: ClassVar[tuple[Metric, ...]] = (
        proportion("valid", description="the answer parses as SMILES"),
        proportion("exact", description="canonical isomeric SMILES equal to what the picture shows"),
        proportion("no_stereo", description="equal once stereochemistry is removed from both"),
        proportion("inchikey", description="equal standard InChIKeys"),
        continuous("tanimoto", worst=0.0, description="Morgan r=2 2048-bit Tanimoto to the drawn molecule"),
    )

    def __init__(self, options: Any = None):
        super().__init__(options)
        self.reader = ForwardSynthesis()  # the answer is read exactly as forward-synthesis reads a product

    def validate(self) -> None:
        if self.option("detail") not in images.DETAILS:
            raise BenchmarkError(f"{self.name}: detail must be one of {', '.join(images.DETAILS)}")

    def input_modalities(self) -> tuple[str, ...]:
        return ("text", "image")

    # -- samples ----------------------------------------------------------------------------
    def molecules(self, data: Path | None) -> Iterator[tuple[str, str]]:
        """(id, SMILES) of each distinct molecule, in file order."""
        seen: set[str] = set()
        if data is None:
            for reaction in load_reactions(embedded_path(), "embedded"):
                for index, smiles in enumerate([reaction.product, *reaction.reactants.split(".")]):
                    if smiles not in seen:
                        seen.add(smiles)
                        yield (f"{reaction.id}-{'p' if index == 0 else f'r{index}'}", smiles)
            return
        for reaction in load_reactions(Path(data), "file"):
            if reaction.product not in seen:
                seen.add(reaction.product)
                yield (f"{reaction.id}-p", reaction.product)

    def data_info(self, data: Path | None) -> DataInfo:
        from evalsuite.core import data_info

        if data is None:
            return data_info.embedded(sum(1 for _ in self.molecules(None)), "molecules")
        return data_info.of_file(Path(data), unit="reactions")

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        from rdkit import Chem

        for molecule_id, smiles in take(self.molecules(data), limit):
            options = varied(seed, molecule_id) if self.option("vary") else DrawOptions()
            png, shown = drawn(smiles, options)
            part = images.put(png, detail=self.option("detail"))
            mol = Chem.MolFromSmiles(shown)
            heavy = mol.GetNumHeavyAtoms() if mol is not None else 0
            yield Sample(
                id=molecule_id,
                messages=[{"role": "user", "content": [{"type": "text", "text": PROMPT}, part]}],
                target=shown,
                metadata={"heavy_atoms": size_bucket(heavy), "atoms": heavy, "drawing": options.to_dict(),
                          "source": "embedded" if data is None else "file"},
            )

    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        result = super().aggregate(records, seed)
        result.extra["molecule_fields"] = ["target", "prediction"]  # the report draws both beside the picture
        return result

    # -- grading ----------------------------------------------------------------------------
    def oracle_response(self, sample: Sample) -> str:
        return f"Final Answer: {sample.target}"

    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        return self.reader.extract(reply, sample)

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        return self.reader.from_structured(value, sample)

    def score(self, prediction: Prediction, sample: Sample) -> Score:
        if not prediction.ok or not isinstance(prediction.value, str):
            return Score({"valid": 0.0, **dict.fromkeys(MODES, 0.0), "tanimoto": 0.0},
                         reason=prediction.failure or "no answer")
        parsed = chemistry.parse(prediction.value)
        if not parsed.ok:
            return Score({"valid": 0.0, **dict.fromkeys(MODES, 0.0), "tanimoto": 0.0}, reason=parsed.reason)
        values: dict[str, float | None] = {"valid": 1.0}
        wrong = []
        for metric, mode in MODES.items():
            same = chemistry.match_key(parsed, mode).items == chemistry.gold_key(sample.target, mode).items
            values[metric] = 1.0 if same else 0.0
            if not same:
                wrong.append(mode)
        values["tanimoto"] = chemistry.tanimoto(parsed, chemistry.gold_fingerprint(sample.target))
        return Score(values, reason=f"differs in: {', '.join(wrong)}" if wrong else None)
