"""Statistics across runs and replies: paired tests and intervals (``paired``), repeated sampling
(``repeated``: avg@K, pass@k, maj@K).

May import only ``evalsuite.core``.
"""
