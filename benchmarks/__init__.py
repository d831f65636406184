"""Benchmark adapters (installed as ``evalsuite.benchmarks``), one module or package per family,
registered as entry points in the ``evalsuite.benchmarks`` group.

May import ``evalsuite.core`` and ``evalsuite.scorers`` only; nothing imports them but the registry.
"""
