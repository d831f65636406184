"""The regression gate and ``compare``: paired comparison of two runs (``compare``), over epochs
(``epochs``), recomputed aggregate-only metrics (``recompute``), the policy file, notes and report.

May import ``evalsuite.files``, ``evalsuite.stats`` and ``evalsuite.core``.
"""
