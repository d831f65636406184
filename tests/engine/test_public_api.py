"""The public API is explicit and lazy: every name in ``evalsuite.__all__`` resolves, and importing
the package loads none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys


def test_every_public_name_resolves():
    import evalsuite

    assert set(evalsuite.__all__) == {"__version__", *evalsuite._LAZY}
    for name in evalsuite.__all__:
        assert getattr(evalsuite, name) is not None, name


def test_importing_the_package_loads_no_heavy_library():
    code = ("import sys, evalsuite; heavy = [m for m in ('numpy', 'pandas', 'rdkit', 'pymatgen') if m in sys.modules];"
            "print(','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
