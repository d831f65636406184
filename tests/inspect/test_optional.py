"""inspect-ai is an optional extra: the default install neither needs nor imports it, the test
environment installs it, and without it the commands that need it say how to get it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = "import sys; sys.modules['inspect_ai'] = None\n"  # as if inspect-ai were not installed


def run_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_declared_as_an_extra_the_tests_install():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(dep.startswith("inspect-ai") for dep in project["dependencies"])
    assert any(dep.startswith("inspect-ai") for dep in project["optional-dependencies"]["inspect"])
    assert any(dep.startswith("inspect-ai") for dep in project["optional-dependencies"]["test"])
    # inspect_ai loads only the entry point named as a task's prefix (evalsuite/<benchmark>).
    assert project["entry-points"]["inspect_ai"] == {"evalsuite": "evalsuite.integrations.inspect_tasks"}
    tox = (ROOT / "tox.ini").read_text()
    assert "extras = test" in tox


def test_a_run_without_inspect_ai_never_imports_it(tmp_path):
    code = BLOCK + (
        "from evalsuite.cli import main\n"
        f"code = main(['run', '--model', 'oracle', '--benchmark', 'tail/lcs', '--limit', '2', '--no-progress', "
        f"'--out', {str(tmp_path / 'run')!r}, '--grade-workers', '0'])\n"
        "assert code == 0, code\n"
        "assert sys.modules['inspect_ai'] is None\n"
        "assert not any(name.startswith('inspect_ai.') for name in sys.modules)\n"
    )
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_without_inspect_ai_the_commands_that_need_it_say_so(tmp_path):
    code = BLOCK + (
        "from evalsuite.cli import main\n"
        f"print(main(['run', '--model', 'inspect/openai/gpt-4o', '--benchmark', 'tail/lcs', '--limit', '1', "
        f"'--no-progress', '--out', {str(tmp_path / 'r')!r}]))\n"
        f"print(main(['import', 'inspect', {str(tmp_path / 'x.eval')!r}, '--out', {str(tmp_path / 'i')!r}]))\n"
    )
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2", "2"]
    assert proc.stderr.count("pip install 'evalsuite[inspect]'") == 2
