"""How the tests find reference data (tests/conftest.py): a checkout with no ../shared skips with
the pull command when the download is impossible, fails under CI=true, and uses files the
product's own ``data pull`` put in the reference cache. Each case runs pytest on one real test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from evalsuite.core import datasets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from conftest import REFERENCE_FILES  # noqa: E402

ONE_TEST = "tests/chemistry/test_datasets.py::test_expected_checksum_is_that_of_the_public_file"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pytest_run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    empty = tmp_path / "no-shared"
    empty.mkdir(exist_ok=True)
    dead_proxy = f"http://127.0.0.1:{closed_port()}"  # every download fails at once, network or not
    full = {k: v for k, v in os.environ.items() if k not in ("CI", "no_proxy", "NO_PROXY")}
    full |= {"EVALSUITE_SHARED_DATA": str(empty), "EVALSUITE_REFERENCE_CACHE": str(tmp_path / "reference"),
             "https_proxy": dead_proxy, "HTTPS_PROXY": dead_proxy, "http_proxy": dead_proxy,
             "HTTP_PROXY": dead_proxy, **env}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", ONE_TEST],
                          cwd=ROOT, env=full, capture_output=True, text=True, timeout=300)


def test_without_data_or_network_the_test_skips_naming_the_pull_command(tmp_path):
    proc = pytest_run(tmp_path)
    assert proc.returncode == 0 and "1 skipped" in proc.stdout, proc.stdout[-2000:]
    names = " ".join(sorted(set(REFERENCE_FILES.values())))
    assert f"EVALSUITE_CACHE={tmp_path / 'reference'} evalsuite data pull {names}" in proc.stdout


def test_under_ci_it_fails_instead_of_skipping(tmp_path):
    proc = pytest_run(tmp_path, CI="true")
    assert proc.returncode != 0 and "1 error" in proc.stdout, proc.stdout[-2000:]
    assert "[CI=true: never skipped]" in proc.stdout


def test_files_pulled_into_the_reference_cache_are_verified_and_used(tmp_path, shared_data):
    pulled = tmp_path / "reference" / "data"
    pulled.mkdir(parents=True)
    for rel, name in REFERENCE_FILES.items():  # what `EVALSUITE_CACHE=... evalsuite data pull` leaves
        shutil.copyfile(shared_data / rel, pulled / datasets.DATASETS[name].filename)
    proc = pytest_run(tmp_path, CI="true")
    assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout[-2000:]
    assert (tmp_path / "reference" / "layout" / "uspto50k" / "test.csv").read_bytes() == \
        (shared_data / "uspto50k" / "test.csv").read_bytes()
    # A tampered cached file fails its checksum and is downloaded again (impossible here): skipped.
    (pulled / datasets.DATASETS["uspto50k"].filename).write_text("tampered\n")
    again = pytest_run(tmp_path)
    assert "1 skipped" in again.stdout, again.stdout[-2000:]
