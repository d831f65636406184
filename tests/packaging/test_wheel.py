"""One namespace (docs/architecture.md#one-namespace): the wheel installs ``evalsuite`` and nothing
else at the top of site-packages, and a user's own ``benchmarks/``, ``scorers/`` and ``reports/``
packages in the working directory never shadow ours.

The wheel is built from this checkout and installed, without its dependencies, into a fresh venv;
the dependencies come from the test environment through a ``.pth`` line placed after the venv's own
site-packages, so the fresh venv's ``evalsuite`` is the one imported.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHADOW = 'raise ImportError("the user\'s own {name} package was imported")\n'


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the built wheel, the fresh venv's python)."""
    pytest.importorskip("setuptools")  # the build backend, from the test environment (no download)
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist"), str(ROOT)], check=True, cwd=tmp, capture_output=True)
    wheel = next((tmp / "dist").glob("evalsuite-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True)
    own = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (own / "zz_test_dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    return wheel, python


def test_the_wheel_installs_evalsuite_alone(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        rows = list(csv.reader(io.StringIO(archive.read(record).decode())))
    tops = {row[0].split("/")[0] for row in rows if row}
    assert tops == {"evalsuite", record.split("/")[0]}
    paths = {row[0] for row in rows if row}
    for room in ("benchmarks", "scorers", "reports"):  # real files inside the namespace, not links
        assert f"evalsuite/{room}/__init__.py" in paths
    assert "evalsuite/benchmarks/synthesis/reactions.csv" in paths
    assert "evalsuite/reports/templates/report.html.jinja" in paths


def test_a_users_own_packages_never_shadow_ours(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, python = installed
    for name in ("benchmarks", "scorers", "reports"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(SHADOW.format(name=name))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(python), *args], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done

    listed = run("-m", "evalsuite", "list").stdout.splitlines()
    assert "tail/lcs" in {line.split("\t")[0] for line in listed}
    assert "retrosynthesis" in {line.split("\t")[0] for line in listed}
    run("-m", "evalsuite", "run", "--model", "oracle", "--benchmark", "tail/lcs,crystal-stability", "--limit", "3",
        "--no-cache", "--no-progress", "--out", "run", "--report", "run/report.html")
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["benchmarks"]["tail/lcs"]["metrics"]["accuracy"]["value"] == 1.0
    assert (tmp_path / "run" / "report.html").stat().st_size > 0
    probe = ("import evalsuite, evalsuite.benchmarks.tail, evalsuite.scorers.exact, evalsuite.reports.render\n"
             "frame = evalsuite.load_results('run')\n"
             "print(len(frame))\n"
             "for m in (evalsuite, evalsuite.benchmarks.tail, evalsuite.scorers.exact, evalsuite.reports.render):\n"
             "    print(m.__file__)\n")
    out = run("-c", probe).stdout.splitlines()
    assert int(out[0]) > 0
    venv = python.parent.parent.resolve()
    for path in out[1:]:
        assert Path(path).resolve().is_relative_to(venv), path
