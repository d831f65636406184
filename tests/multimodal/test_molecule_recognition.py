"""Drawn molecules: pictures without the answer in them, sent as image parts over real HTTP, graded
in every match mode, and refused by a backend that cannot see."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.integrations.devserver import DevServer, by_image_hash

BENCH = "molecule-recognition"


def cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "EVALSUITE_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-m", "evalsuite.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def image_part(line: dict) -> dict:
    (part,) = [p for m in line["prompt"] for p in (m["content"] if isinstance(m["content"], list) else [])
               if p.get("type") == "image"]
    return part


def test_twenty_pictures_with_no_molecule_inside_and_the_same_bytes_in_two_processes(tmp_path):
    first = cli("samples", BENCH, "--limit", "20", "--images", str(tmp_path / "a"), cache=tmp_path / "c1")
    second = cli("samples", BENCH, "--limit", "20", "--images", str(tmp_path / "b"), cache=tmp_path / "c2")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    pictures = sorted((tmp_path / "a").glob("*.png"))
    assert len(pictures) == 20
    assert [p.name for p in pictures] == sorted(p.name for p in (tmp_path / "b").glob("*.png"))
    lines = [json.loads(x) for x in first.stdout.splitlines()]
    assert sorted(f"{image_part(x)['sha256']}.png" for x in lines) == [p.name for p in pictures]
    for picture in pictures:
        data = picture.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert hashlib.sha256(data).hexdigest() == picture.stem
        assert Chem.MolFromPNGString(data) is None, picture  # RDKit's SMILES metadata is not there
        assert b"SMILES" not in data and b"rdkit" not in data.lower()
    for line in lines:  # the text never names the molecule
        text = " ".join(p.get("text", "") for m in line["prompt"] for p in m["content"] if isinstance(p, dict))
        assert line["target"] not in text


def test_the_dev_server_receives_the_pictures_of_samples_jsonl_and_the_oracle_scores_one(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    assert main(["run", "--model", "oracle", "--benchmark", BENCH, "--limit", "12", "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 0
    oracle = json.loads((tmp_path / "o" / "results.json").read_text())["benchmarks"][BENCH]
    assert oracle["metrics"]["exact"]["value"] == 1.0 and oracle["metrics"]["inchikey"]["value"] == 1.0
    lines = read_jsonl(tmp_path / "o" / "samples.jsonl")
    table = {image_part(x)["sha256"]: f"I read the structure.\nFinal Answer: {x['target']}" for x in lines}
    received: list[list[dict]] = []
    answer = by_image_hash(table)

    def responder(messages):
        received.append(messages)
        return answer(messages)

    with DevServer(responder) as server:
        out = tmp_path / "served"
        assert main(["run", "--model", "openai/vision", "--base-url", server.url, "--benchmark", BENCH,
                     "--limit", "12", "--out", str(out), "--no-progress"]) == 0
    served = json.loads((out / "results.json").read_text())["benchmarks"][BENCH]
    assert served["metrics"]["exact"]["value"] == 1.0
    sent = set()
    for messages in received:
        (part,) = [p for p in messages[-1]["content"] if p["type"] == "image_url"]
        url = part["image_url"]["url"]
        assert url.startswith("data:image/png;base64,") and part["image_url"]["detail"] == "high"
        data = base64.b64decode(url.split(",", 1)[1], validate=True)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        sent.add(hashlib.sha256(data).hexdigest())
    journaled = {image_part(x)["sha256"] for x in read_jsonl(out / "samples.jsonl")}
    assert sent == journaled and len(sent) == 12
    assert all("base64" not in line for line in (out / "samples.jsonl").read_text().splitlines())


def morgan_tanimoto(a: str, b: str) -> float:
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    fa, fb = (generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in (a, b))
    return DataStructs.TanimotoSimilarity(fa, fb)


BOC_GLY_ALA = "CC(C)(C)OC(=O)NCC(=O)N[C@@H](C)C(=O)OC"  # amide-04's product, drawn with its wedge


@pytest.mark.parametrize(("reply", "expected"), [
    # the same molecule written another way: right in every mode
    ("Final Answer: COC(=O)[C@H](C)NC(=O)CNC(=O)OC(C)(C)C", {"valid": 1, "exact": 1, "no_stereo": 1, "inchikey": 1}),
    # the stereocentre flipped: only the no-stereo match holds (the InChIKey keeps stereo)
    ("Final Answer: CC(C)(C)OC(=O)NCC(=O)N[C@H](C)C(=O)OC", {"valid": 1, "exact": 0, "no_stereo": 1, "inchikey": 0}),
    # the ester's methyl missing: a different molecule in every mode
    ("Final Answer: CC(C)(C)OC(=O)NCC(=O)N[C@@H](C)C(=O)O", {"valid": 1, "exact": 0, "no_stereo": 0, "inchikey": 0}),
    # not SMILES RDKit can read
    ("Final Answer: CC(C)(C)OC(=O", {"valid": 0, "exact": 0, "no_stereo": 0, "inchikey": 0}),
])
def test_hand_made_wrong_answers_score_as_worked_out_per_match_mode(reply, expected, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    bench = registry.create(BENCH, {"vary": "false"})
    replay = tmp_path / "replay.jsonl"  # every other molecule answered right, so the run is whole
    replay.write_text("".join(json.dumps({"id": s.id, "response": reply if s.id == "amide-04-p" else
                                          bench.oracle_response(s)}) + "\n" for s in bench.samples(None, 0, None)))
    out = tmp_path / "r"
    assert main(["run", "--model", f"replay/{replay}", "--benchmark", BENCH, "--set", "vary=false",
                 "--out", str(out), "--no-progress"]) == 0
    (line,) = [x for x in read_jsonl(out / "samples.jsonl") if x["id"] == "amide-04-p"]
    assert line["target"] == Chem.MolToSmiles(Chem.MolFromSmiles(BOC_GLY_ALA))
    assert {k: line["scores"][k] for k in expected} == expected
    answer = reply.split(": ", 1)[1]
    if expected["valid"]:
        assert line["scores"]["tanimoto"] == pytest.approx(morgan_tanimoto(answer, BOC_GLY_ALA))
    else:
        assert line["scores"]["tanimoto"] == 0.0


def test_a_backend_that_cannot_see_is_refused_at_start(tmp_path):
    done = cli("run", "--model", "local/smollm2", "--benchmark", BENCH, "--limit", "2", "--out", str(tmp_path / "r"),
               "--no-progress", cache=tmp_path / "cache")
    assert done.returncode != 0
    assert "cannot take images" in done.stderr and "image input" in done.stderr
    assert not (tmp_path / "r" / "samples.jsonl").exists()


def test_the_report_shows_the_picture_the_model_saw_beside_gold_and_prediction(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "r"
    assert main(["run", "--model", "oracle", "--benchmark", BENCH, "--limit", "3", "--out", str(out),
                 "--no-progress", "--report", str(tmp_path / "page.html")]) == 0
    page = (tmp_path / "page.html").read_text()
    for line in read_jsonl(out / "samples.jsonl"):
        picture = (tmp_path / "cache" / "images" / f"{image_part(line)['sha256']}.png").read_bytes()
        assert base64.b64encode(picture).decode() in page
    assert page.count('alt="the picture the model saw"') == 3
