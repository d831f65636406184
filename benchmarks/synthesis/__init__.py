"""Synthesis planning graded with RDKit: ``retrosynthesis`` and ``forward-synthesis``.

Both read USPTO-50K (``--data`` or the pulled cache) or the embedded textbook reactions, and
grade with ``evalsuite.scorers.chemistry`` in the match mode chosen by ``--set match_mode=...``.
"""

from evalsuite.benchmarks.synthesis.forward import ForwardSynthesis
from evalsuite.benchmarks.synthesis.retrosynthesis import Retrosynthesis

__all__ = ["ForwardSynthesis", "Retrosynthesis"]
