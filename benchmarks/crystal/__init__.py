"""The crystal-stability benchmark's parts: data layouts and readers (``data``), the embedded set
built from pymatgen's shipped entries (``embedded``) with its hull cache (``hull_cache``), and the
Matbench Discovery aggregate (``aggregate``). The benchmark itself is ``evalsuite.benchmarks.crystal_stability``.
"""
