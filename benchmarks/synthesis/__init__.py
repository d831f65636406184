"""Synthesis planning graded with RDKit: ``retrosynthesis`` and ``forward-synthesis``.

Both read USPTO-50K (``--data`` or the pulled cache) or the embedded textbook reactions, and
grade with ``scorers.chemistry`` in the match mode chosen by ``--set match_mode=...``.
"""

from benchmarks.synthesis.forward import ForwardSynthesis
from benchmarks.synthesis.retrosynthesis import Retrosynthesis

__all__ = ["ForwardSynthesis", "Retrosynthesis"]
