"""Helpers for the inspect_ai round trips: replies of mixed quality by prompt, Inspect's mockllm
model answering with them offline, and evalsuite runs over the same replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalsuite.cli import main

pytest.importorskip("inspect_ai")

from ..conftest import JUNK, REFUSAL, mixed_replies  # noqa: F401 - the tests take them from here


def mock_model(replies: dict[str, str], seeds: list[int | None] | None = None) -> Any:
    """Inspect's ``mockllm`` answering each prompt from ``replies``. Each output carries its usage:
    without it mockllm counts tokens with tiktoken's o200k_base, which it downloads
    (inspect_ai/model/_providers/mockllm.py), and tests never reach the network. ``seeds``
    collects the seed each request was sent with."""
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    def answer(input: list[Any], tools: Any, tool_choice: Any, config: Any) -> ModelOutput:
        text = replies[input[-1].text]
        if seeds is not None:
            seeds.append(config.seed)
        usage = ModelUsage(input_tokens=len(input[-1].text.split()), output_tokens=len(text.split()),
                           total_tokens=len(input[-1].text.split()) + len(text.split()))
        return ModelOutput.from_content("mockllm/model", text).model_copy(update={"usage": usage})

    return get_model("mockllm/model", custom_outputs=answer, memoize=False)


def evalsuite_run(out: Path, model: str, benchmark: str, limit: int, *extra: str) -> dict[str, Any]:
    code = main(["run", "--model", model, "--benchmark", benchmark, "--limit", str(limit), "--out", str(out),
                 "--no-progress", "--grade-workers", "0", *extra])
    assert code == 0
    return json.loads((out / "results.json").read_text())


def journal(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines() if line.strip()]


def write_replay(path: Path, responses: dict[str, str | None]) -> Path:
    path.write_text("".join(json.dumps({"id": k, "response": v}) + "\n" for k, v in responses.items()))
    return path


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    """A private reply cache and Inspect log folder in every test here."""
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "inspect-logs"))
