"""retrosynthesis and forward-synthesis with ``--set input=image``: the given molecules drawn
instead of written, graded exactly as the text variant on the same items."""

from __future__ import annotations

import json

import pytest

from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.engine import subset


def replies_for(name: str) -> dict[str, str]:
    bench = registry.create(name)
    out = {}
    for index, sample in enumerate(subset.select(bench, None, 0, limit=15)):  # the items --limit 15 takes
        kind = index % 3
        out[sample.id] = (bench.oracle_response(sample) if kind == 0 else
                          "Final Answer: CCO" if kind == 1 else "I cannot tell from this.")
    return out


@pytest.mark.parametrize(("name", "role"), [("retrosynthesis", "product"), ("forward-synthesis", "reactants")])
def test_text_and_image_variants_score_identically_on_identical_replies(name, role, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    replies = replies_for(name)
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": i, "response": r}) + "\n" for i, r in replies.items()))
    scored = {}
    for mode in ("text", "image"):
        out = tmp_path / mode
        assert main(["run", "--model", f"replay/{replay}", "--benchmark", name, "--set", f"input={mode}",
                     "--set", "source=embedded", "--limit", "15", "--out", str(out), "--no-progress"]) == 0
        lines = [json.loads(x) for x in (out / "samples.jsonl").read_text().splitlines()]
        scored[mode] = {x["id"]: (x["scores"], x["extraction"], x["prediction"]) for x in lines}
        if mode == "image":
            for line in lines:
                (message,) = line["prompt"]
                pictures = [p for p in message["content"] if p["type"] == "image"]
                text = " ".join(p["text"] for p in message["content"] if p["type"] == "text")
                assert len(pictures) == 1 and "shown in the picture" in text
                given = line["metadata"]["product"] if role == "product" else line["metadata"]["reactants"]
                assert given not in text  # the molecule is only in the picture
        results = json.loads((out / "results.json").read_text())["benchmarks"][name]
        scored[mode + "-headline"] = results["metrics"][results["headline"]]["value"]
    assert scored["text"] == scored["image"] and len(scored["text"]) == 15
    assert scored["text-headline"] == scored["image-headline"] == pytest.approx(5 / 15)


def test_the_embedded_model_is_refused_for_the_image_variant(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    code = main(["run", "--model", "local/smollm2", "--benchmark", "retrosynthesis", "--set", "input=image",
                 "--limit", "1", "--out", str(tmp_path / "r"), "--no-progress"])
    assert code != 0
