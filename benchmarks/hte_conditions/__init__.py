"""hte-conditions: choose reaction conditions, graded by the yields a high-throughput experiment measured.

``hte-conditions/suzuki-miyaura`` (Perera et al. 2018) and ``hte-conditions/buchwald-hartwig``
(Ahneman et al. 2018). The shared menu, reply parsing and scoring are in ``base``; each member
module documents its data layout and its item / menu split.
"""

from __future__ import annotations

from evalsuite.benchmarks.hte_conditions.buchwald_hartwig import BuchwaldHartwig
from evalsuite.benchmarks.hte_conditions.suzuki_miyaura import SuzukiMiyaura
from evalsuite.core.benchmark import Family

FAMILY = Family(
    name="hte-conditions",
    description="Choose reaction conditions from a high-throughput-experiment menu, graded by measured yield",
    members={"suzuki-miyaura": SuzukiMiyaura, "buchwald-hartwig": BuchwaldHartwig},
)
