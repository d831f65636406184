"""smolinstruct: the 14 tasks of SMolInstruct (Yu et al. 2024, osunlp/SMolInstruct), as
Intern-S1's model card reports them through OpenCompass.

``smolinstruct/<task>``: name conversion (``name_conversion``), property prediction
(``property_prediction``), captioning, generation, forward synthesis and retrosynthesis
(``molecules``). ``base`` reads the data and holds the two scorings (strict headline,
``--set protocol=opencompass``); docs/benchmarks/intern-s1.md lists every convention.
"""

from __future__ import annotations

from evalsuite.benchmarks.smolinstruct.molecules import (
    ForwardSynthesis,
    MoleculeCaptioning,
    MoleculeGeneration,
    Retrosynthesis,
)
from evalsuite.benchmarks.smolinstruct.name_conversion import (
    IupacToFormula,
    IupacToSmiles,
    SmilesToFormula,
    SmilesToIupac,
)
from evalsuite.benchmarks.smolinstruct.property_prediction import Bbbp, ClinTox, Esol, Hiv, Lipophilicity, Sider
from evalsuite.core.benchmark import Family

FAMILY = Family(
    name="smolinstruct",
    description="SMolInstruct's 14 chemistry tasks (strict grading; OpenCompass's conventions under protocol=opencompass)",
    members={
        "nc-i2f": IupacToFormula, "nc-i2s": IupacToSmiles, "nc-s2f": SmilesToFormula, "nc-s2i": SmilesToIupac,
        "pp-esol": Esol, "pp-lipo": Lipophilicity, "pp-bbbp": Bbbp, "pp-clintox": ClinTox, "pp-hiv": Hiv,
        "pp-sider": Sider, "mc": MoleculeCaptioning, "mg": MoleculeGeneration, "fs": ForwardSynthesis,
        "rs": Retrosynthesis,
    },
)
