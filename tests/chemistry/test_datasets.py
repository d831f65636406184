"""evalsuite data pull: a real loopback HTTP server serves the USPTO-50K test file.

Cases: good checksum, bad checksum (one byte changed), interrupted transfer (the server
announces the full length, sends half and closes), unknown name, already cached.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from evalsuite.core import datasets


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "data"


@pytest.fixture()
def server(shared_data, loopback_http):
    body = (shared_data / "uspto50k" / "test.csv").read_bytes()
    hits: list[str] = []

    def respond(handler):
        hits.append(handler.path)
        data = body
        if handler.path == "/corrupt.csv":
            data = body[:-2] + b"X\n"
        if handler.path == "/missing.csv":
            handler.send_error(404)
            return
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.path == "/interrupted.csv":
            handler.wfile.write(data[: len(data) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return
        handler.wfile.write(data)

    return loopback_http(respond=respond), hits


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.glob("*")) if cache.exists() else []


def test_expected_checksum_is_that_of_the_public_file(shared_data):
    digest = hashlib.sha256((shared_data / "uspto50k" / "test.csv").read_bytes()).hexdigest()
    assert datasets.DATASETS["uspto50k"].sha256 == digest


def test_good_download_lands_in_the_cache_and_is_used(server, cache, capsys, shared_data):
    url, hits = server
    assert datasets.cached_path("uspto50k") is None
    assert datasets.cli_pull("uspto50k", url=f"{url}/test.csv") == 0
    path = datasets.cached_path("uspto50k")
    assert path is not None and path.parent == cache
    assert path.read_bytes() == (shared_data / "uspto50k" / "test.csv").read_bytes()
    assert str(path) in capsys.readouterr().out
    assert leftovers(cache) == [path.name]  # no partial file left behind
    # Pulling again finds the verified file and does not download it again.
    assert datasets.cli_pull("uspto50k", url=f"{url}/test.csv") == 0
    assert hits == ["/test.csv"]


def test_bad_checksum_removes_the_file_and_says_why(server, cache, capsys):
    url, _ = server
    assert datasets.cli_pull("uspto50k", url=f"{url}/corrupt.csv") == 1
    err = capsys.readouterr().err
    assert "checksum mismatch" in err and "removed" in err
    assert datasets.cached_path("uspto50k") is None
    assert leftovers(cache) == []


def test_interrupted_transfer_leaves_nothing_that_looks_complete(server, cache, capsys):
    url, _ = server
    assert datasets.cli_pull("uspto50k", url=f"{url}/interrupted.csv") == 1
    err = capsys.readouterr().err
    assert "interrupted" in err or "failed after" in err
    assert datasets.cached_path("uspto50k") is None
    assert leftovers(cache) == []


def test_http_error_and_unknown_name(server, cache, capsys):
    url, _ = server
    assert datasets.cli_pull("uspto50k", url=f"{url}/missing.csv") == 1
    assert "404" in capsys.readouterr().err
    assert datasets.cli_pull("uspto-500k") == 2
    assert "unknown data set" in capsys.readouterr().err
    with pytest.raises(datasets.DataSetError, match="unknown data set"):
        datasets.cached_path("uspto-500k")


def test_list_names_every_data_set(cache, capsys):
    assert datasets.cli_list() == 0
    out = capsys.readouterr().out
    for name in ("uspto50k", "hte-suzuki-miyaura", "hte-buchwald-hartwig"):
        assert name in out
    assert "not pulled" in out


def test_hte_checksums_are_those_of_the_reference_copies(shared_data):
    for name, file in (("hte-suzuki-miyaura", "suzuki_miyaura.csv"), ("hte-buchwald-hartwig", "buchwald_hartwig.csv")):
        digest = hashlib.sha256((shared_data / "hte" / file).read_bytes()).hexdigest()
        assert datasets.DATASETS[name].sha256 == digest
