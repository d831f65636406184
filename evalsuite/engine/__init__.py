"""The run engine: one run from samples to journal. Runner, planner, request pipeline, grading and
the grade pool, the reply cache, the run directory, subsets, shards and merge, option checks and
model configs.

May import ``evalsuite.backends``, ``evalsuite.files``, ``evalsuite.stats`` and ``evalsuite.core``.
"""
