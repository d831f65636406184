"""``evalsuite export train``: the train split never overlaps the test split; the formats carry
what the reward reads back."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.core.errors import BenchmarkError
from evalsuite.integrations.export_train import export_train
from evalsuite.rewards import grade

TAIL = registry.expand(["tail"])
INSTRUCTION_BREAK = "\n\nGive your answer"


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def held_out_questions(name: str, per_bucket: int) -> set[str]:
    """Every test instance at seed 0, as ``evalsuite samples`` draws them, written with every
    template of the task (a train prompt may use another template than the test prompt)."""
    bench = registry.create(name, {"per_bucket": str(per_bucket)})
    questions = set()
    for bucket in ("S", "M", "L"):
        for _, instance in bench.instances(bucket, 0):
            questions.update(t.format(**instance.fields) for t in bench.templates)
    return questions


def held_out_capacity(name: str) -> int:
    """2,000 per bucket, or 500 where a bucket holds fewer distinct instances than that."""
    try:
        list(registry.create(name, {"per_bucket": "2000"}).samples(None, 0, None))
        return 2000
    except BenchmarkError:
        return 500


@pytest.mark.parametrize("name", TAIL)
def test_tail_train_never_meets_the_test_set(name, tmp_path, capsys):
    per_bucket = held_out_capacity(name)
    out = tmp_path / "train.jsonl"
    assert main(["export", "train", "--benchmark", name, "--split", "train", "--n", "2000", "--format", "jsonl",
                 "--set", f"per_bucket={per_bucket}", "--out", str(out)]) == 0
    rows = read_jsonl(out)
    train = [row["prompt"][-1]["content"].split(INSTRUCTION_BREAK)[0] for row in rows]
    assert not set(train) & held_out_questions(name, per_bucket)
    counts = {b: sum(json.loads(r["extra_info"]["group"])["bucket"] == b for r in rows) for b in "SML"}
    if per_bucket == 2000:
        assert counts == {"S": 2000, "M": 2000, "L": 2000}
    else:  # a small bucket: what is left outside the test set, said on stderr
        assert "train instances outside the test set" in capsys.readouterr().err
        assert all(0 < c <= 2000 for c in counts.values())
    assert len(set(train)) == len(train)  # no repeats within the train split either


def test_lengths_curriculum_and_sft_trace(tmp_path):
    out = tmp_path / "curriculum.jsonl"
    export_train("tail/large-number-addition", split="train", n=20, fmt="jsonl", out=out,
                 lengths="5-8,9-12", curriculum=True)
    rows = read_jsonl(out)
    lengths = [json.loads(r["extra_info"]["group"])["length"] for r in rows]
    stages = [json.loads(r["extra_info"]["group"])["stage"] for r in rows]
    assert stages == ["5-8"] * 20 + ["9-12"] * 20
    assert all(5 <= n <= 8 for n in lengths[:20]) and all(9 <= n <= 12 for n in lengths[20:])
    assert lengths[:20] == sorted(lengths[:20]) and lengths[20:] == sorted(lengths[20:])

    sft = tmp_path / "sft.jsonl"
    export_train("tail/large-number-addition", split="train", n=5, fmt="sft", out=sft, options=["cot=tail"])
    for row in read_jsonl(sft):
        user, assistant = row["messages"]
        assert "Example solution" not in user["content"]  # the trace is the answer, not a shown example
        assert "Step 1: fetch x1 digit" in assistant["content"]
        gold = assistant["content"].rsplit("Final Answer: ", 1)[1]
        # the trace's own last 'written =' value is the answer it states (decimal point placed)
        assert grade("tail/large-number-addition", gold, assistant["content"]).score == 1.0


def test_chemistry_train_split_needs_a_train_file(shared_data, tmp_path):
    out = tmp_path / "retro.parquet"
    with pytest.raises(BenchmarkError, match="--data TRAIN"):
        export_train("retrosynthesis", split="train", n=5, fmt="verl", out=out)
    with pytest.raises(BenchmarkError, match="pinned uspto50k evaluation file"):
        export_train("retrosynthesis", split="train", n=5, fmt="verl", out=out, data=shared_data / "uspto50k" / "test.csv")
    assert not out.exists() and not list(tmp_path.iterdir())
    lines = (shared_data / "uspto50k" / "test.csv").read_text().splitlines()
    train = tmp_path / "train.csv"
    train.write_text("\n".join([lines[0], *lines[100:110]]) + "\n")  # a file of our own: another checksum
    assert export_train("retrosynthesis", split="train", n=5, fmt="verl", out=out, data=train) == 5
    rows = pq.read_table(out).to_pylist()
    assert [r["extra_info"]["id"][:5] for r in rows] == ["00000", "00001", "00002", "00003", "00004"]
    assert {r["data_source"] for r in rows} == {"evalsuite/retrosynthesis"}
    assert {r["reward_model"]["style"] for r in rows} == {"rule"} and {r["ability"] for r in rows} == {"chemistry"}
    gold = json.loads(rows[0]["reward_model"]["ground_truth"])
    assert grade("retrosynthesis", ground_truth=rows[0]["reward_model"]["ground_truth"], completion=json.dumps([gold])).score == 1.0


def test_bad_export_requests_are_refused(tmp_path):
    out = tmp_path / "x.jsonl"
    with pytest.raises(BenchmarkError, match="family"):
        export_train("tail", split="train", n=1, fmt="jsonl", out=out)
    with pytest.raises(BenchmarkError, match="TAIL tasks only"):
        export_train("crystal-stability", split="test", n=1, fmt="jsonl", out=out, curriculum=True)
    with pytest.raises(BenchmarkError, match="LOW-HIGH"):
        export_train("tail/lcs", split="train", n=1, fmt="jsonl", out=out, lengths="ten-twenty")
    assert not out.exists()
