"""`evalsuite --help` stays fast because heavy libraries load only when a command needs them."""

import subprocess
import sys

HEAVY = ("rdkit", "pymatgen", "lm_eval", "xllamacpp", "openai", "numpy", "pandas", "torch")


def test_help_imports_no_heavy_library():
    code = (
        "import sys, evalsuite.cli as c\n"
        "c.build_parser().format_help()\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_answers():
    result = subprocess.run([sys.executable, "-m", "evalsuite.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "run" in result.stdout and "gate" in result.stdout
