"""``evalsuite data pull smolinstruct | chembench4k | matbench-text`` against a loopback server, and
the benchmarks reading the pulled archives in place. The archives here are written by the test in
the published layouts (a few rows), never copies of the data sets."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from evalsuite.cli import main
from evalsuite.core import registry


def zipped(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# SMolInstruct's data.zip layout (its loader script SMolInstruct.py): two forward-synthesis items,
# the second sample using template 1; the raw list holds a third item no sample points at.
SMOL = {
    "data/sample/instruction_tuning/test/forward_synthesis.json": json.dumps(
        {"task": "forward_synthesis", "split": "test", "template_name": "instruction_tuning",
         "samples": [{"idx": 2, "template_id": 0}, {"idx": 0, "template_id": 1}]}),
    "data/template/instruction_tuning/forward_synthesis.json": json.dumps([
        {"input": "<INPUT> What is the product?", "output": "<OUTPUT>"},
        {"input": "Predict the product of <INPUT>.", "output": "A possible product can be <OUTPUT> ."}]),
    "data/raw/test/forward_synthesis.jsonl": "\n".join(json.dumps(r) for r in [
        {"input": "CC(=O)Cl.OCC", "output": "CCOC(C)=O", "task": "forward_synthesis", "split": "test"},
        {"input": "CCO.O=O", "output": "CC=O", "task": "forward_synthesis", "split": "test"},
        {"input": "c1ccccc1.BrBr", "output": "Brc1ccccc1", "task": "forward_synthesis", "split": "test"}]) + "\n",
    "data/core_tag/forward_synthesis.json": json.dumps({"input": ["<SMILES>", "</SMILES>"],
                                                         "output": ["<SMILES>", "</SMILES>"]}),
}


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "data"


def test_smolinstruct_pull_refuses_without_a_pinned_hash(loopback_http, cache, capsys):
    body = zipped(SMOL)
    hits = []

    def respond(handler):
        hits.append(handler.path)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    url = loopback_http(respond=respond) + "/data.zip"
    assert main(["data", "pull", "smolinstruct", "--url", url]) == 1
    assert hits == []  # refused before any byte was asked for
    assert "no checksum is pinned" in capsys.readouterr().err
    assert main(["data", "pull", "smolinstruct", "--url", url, "--sha256", "0" * 64]) == 1
    assert "checksum mismatch" in capsys.readouterr().err and not (cache / "smolinstruct_data.zip").exists()
    assert main(["data", "pull", "smolinstruct", "--url", url, "--sha256", hashlib.sha256(body).hexdigest()]) == 0
    assert (cache / "smolinstruct_data.zip").read_bytes() == body


def test_smolinstruct_rows_from_the_release_archive(cache):
    cache.mkdir(parents=True)
    (cache / "smolinstruct_data.zip").write_bytes(zipped(SMOL))  # as a verified pull leaves it
    bench = registry.create("smolinstruct/fs")
    samples = list(bench.samples(None, 0, None))
    # sample 0: raw item 2 in template 0; sample 1: raw item 0 in template 1, tags around both sides
    assert [s.id for s in samples] == ["0", "1"]
    assert samples[0].prompt_text == "<SMILES> c1ccccc1.BrBr </SMILES> What is the product?"
    assert samples[0].target == "<SMILES> Brc1ccccc1 </SMILES>"
    assert samples[1].prompt_text == "Predict the product of <SMILES> CC(=O)Cl.OCC </SMILES>."
    assert samples[1].target == "A possible product can be <SMILES> CCOC(C)=O </SMILES> ."


def test_chembench_and_matbench_pulls_check_the_publishers_md5(loopback_http, cache, capsys):
    url = loopback_http({"/x.zip": b"not the archive"}) + "/x.zip"
    assert main(["data", "pull", "chembench4k", "--url", url]) == 1
    assert "expected the publisher's md5 fc23fd21b2566a5dbbebfa4601d7779c" in capsys.readouterr().err
    assert main(["data", "pull", "matbench-text", "--url", url]) == 1
    assert "99f9457f54f4f419da9556af56ac4c24" in capsys.readouterr().err
    assert not list(cache.glob("*.zip"))


def test_benchmarks_read_the_pulled_archives_in_place(cache, fixture_data):
    cache.mkdir(parents=True)
    chem = {f"ChemBench4K/{split}/{p.name}": p.read_text() for split in ("test", "dev")
            for p in (fixture_data / split).glob("*.json")}
    (cache / "chembench4k.zip").write_bytes(zipped(chem))
    mat = {f"Matbench/{p.name}": p.read_text() for p in fixture_data.glob("matbench_*.json")}
    (cache / "matbench_text.zip").write_bytes(zipped(mat))
    bench = registry.create("chembench4k/name-conversion", {"shots": 5})
    samples = list(bench.samples(None, 0, None))
    assert len(samples) == 3 and samples[0].target == "A" and len(samples[0].messages) == 11
    bench = registry.create("matbench-text/steels")
    assert [s.target for s in bench.samples(None, 0, None)] == [1056.2, 1820.0, 975.5]
