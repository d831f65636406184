"""Generation: identical across processes for one seed, different for another, no duplicate
instance within a bucket, sample shape (ids, metadata, templates, cot exemplar)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from evalsuite.benchmarks.tail import FAMILY, TASKS
from evalsuite.benchmarks.tail.base import BUCKETS, BenchmarkError

DIGEST = """
import hashlib, json, sys
from evalsuite.benchmarks.tail import TASKS
seed = int(sys.argv[1])
out = {}
for task in TASKS:
    h = hashlib.sha256()
    for cot in ("none", "tail"):
        for s in task({"per_bucket": "40", "cot": cot}).samples(None, seed, None):
            h.update(json.dumps([s.id, s.messages, s.target, s.metadata], sort_keys=True).encode())
    out[task.task] = h.hexdigest()
print(json.dumps(out))
"""


def digests(seed: int, hash_seed: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)  # str hashing must not leak into generation
    done = subprocess.run(
        [sys.executable, "-c", DIGEST, str(seed)], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout)


def test_same_seed_same_samples_across_processes_and_other_seed_differs():
    first, second, other = digests(0, "1"), digests(0, "2"), digests(1, "1")
    assert set(first) == {task.task for task in TASKS}
    assert first == second
    assert all(first[task] != other[task] for task in first)


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_no_duplicate_instance_within_a_bucket_at_default_size(task):
    bench = task({})
    for bucket in BUCKETS:
        # Two samples of one bucket may share a template, never the numbers or strings it shows.
        keys = [repr(sorted(inst.fields.items())) for _, inst in bench.instances(bucket, 0)]
        assert len(keys) == 500
        assert len(set(keys)) == 500


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_sample_shape(task):
    bench = task({"per_bucket": "20"})
    samples = list(bench.samples(None, 3, None))
    assert [s.id for s in samples[:3]] == ["S-0000", "M-0000", "L-0000"]
    assert all(re.fullmatch(r"[SML]-\d{4}", s.id) for s in samples)
    assert len({s.id for s in samples}) == len(samples) == 60
    assert len(task.templates) >= 5
    assert task.description and task.task_class and FAMILY.members[task.task] is task
    for s in samples:
        meta = s.metadata
        assert set(meta) >= {"task", "class", "bucket", "length", "lengths"}
        assert meta["task"] == task.task and meta["class"] == task.task_class
        lo, hi = task.ranges[meta["bucket"]]
        assert lo <= meta["length"] <= hi and meta["length"] == max(meta["lengths"].values())
        assert s.prompt_text.rstrip().endswith("`.") and "Final Answer:" in s.prompt_text
        json.dumps([s.target, s.metadata, s.messages])
    used = {s.prompt_text.split("\n\n")[0] for s in samples}
    assert len(used) > 1


def test_limit_keeps_every_bucket():
    samples = list(TASKS[0]({}).samples(None, 0, 7))
    assert [s.id for s in samples] == ["S-0000", "M-0000", "L-0000", "S-0001", "M-0001", "L-0001", "S-0002"]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_tail_cot_exemplar_is_another_solved_instance(task):
    plain = {s.id: s for s in task({"per_bucket": "10"}).samples(None, 0, None)}
    instances = {b: [inst for _, inst in task({"per_bucket": "10"}).instances(b, 0)] for b in BUCKETS}
    for s in task({"per_bucket": "10", "cot": "tail"}).samples(None, 0, None):
        text = s.prompt_text
        example, _, rest = text.partition("\n\nNow solve this problem.\n\n")
        assert rest == plain[s.id].prompt_text and s.target == plain[s.id].target
        assert example.startswith("Example problem:") and "Example solution:" in example
        assert "fetch" in example.lower()
        own = instances[s.metadata["bucket"]][int(s.id[2:])]
        assert example.split("\n")[1] != task.templates[0].format(**own.fields)  # never its own problem
        assert re.search(r"\nFinal Answer: .+$", example)


def test_bad_options_are_refused():
    with pytest.raises(BenchmarkError):
        TASKS[0]({"buckets": "S,XL"})
    with pytest.raises(BenchmarkError):
        TASKS[0]({"cot": "long"})
    with pytest.raises(BenchmarkError):
        TASKS[0]({"per_bucket": "0"})
    with pytest.raises(BenchmarkError):
        list(TASKS[0]({}).samples("/tmp/data.jsonl", 0, 1))
    only = list(TASKS[0]({"buckets": "L", "per_bucket": "3"}).samples(None, 0, None))
    assert [s.id for s in only] == ["L-0000", "L-0001", "L-0002"]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_shots_are_solved_turns_shared_by_every_sample_and_never_its_own(task):
    plain = {s.id: s for s in task({"per_bucket": "10"}).samples(None, 0, None)}
    shot = task({"per_bucket": "10", "shots": "2"})
    samples = list(shot.samples(None, 0, None))
    for s in samples:
        assert [m["role"] for m in s.messages] == ["user", "assistant", "user", "assistant", "user"]
        assert s.messages[-1] == plain[s.id].messages[-1] and s.target == plain[s.id].target
        for question, answer in zip(s.messages[0:4:2], s.messages[1:4:2]):
            assert question["content"] != s.messages[-1]["content"]  # never the sample's own problem
            assert question["content"].endswith(shot.instruction)
            assert re.fullmatch(r"Final Answer: \S.*", answer["content"], re.S)
            assert "\n" not in answer["content"]  # cot=none: the answer line alone
    # one prefix for the whole run (what a server's prefix cache can share), except where a
    # sample's own instance is a shot
    shown = [c.fields for c in shot.shot_candidates(0)]
    instances = {f"{b}-{i:04d}": inst for b in BUCKETS for i, inst in shot.instances(b, 0)}
    usual = {json.dumps(s.messages[:4]) for s in samples if instances[s.id].fields not in shown}
    assert len(usual) == 1
    own = shot.shot_candidates(0)[0]  # a sample whose instance is the first shot gets the spare
    turns = shot.shot_turns(0, own)
    assert len(turns) == 4 and turns[0] == samples[0].messages[2]


def test_compare_numbers_shots_carry_the_right_relation():
    from decimal import Decimal

    from evalsuite.benchmarks.tail import CompareNumbers

    sample = next(iter(CompareNumbers({"shots": "8"}).samples(None, 5, 1)))
    for question, answer in zip(sample.messages[0:16:2], sample.messages[1:16:2]):
        x1, x2 = (Decimal(v) for v in re.findall(r"x[12] = (\d+(?:\.\d+)?)", question["content"]))
        assert answer["content"] == "Final Answer: " + (">" if x1 > x2 else "<" if x1 < x2 else "=")


def test_shots_with_tail_cot_show_the_trace_and_replace_the_inline_exemplar():
    sample = next(iter(TASKS[0]({"shots": "1", "cot": "tail"}).samples(None, 0, 1)))
    assert len(sample.messages) == 3 and "Example problem" not in sample.messages[-1]["content"]
    worked = sample.messages[1]["content"]
    assert "fetch" in worked.lower() and re.search(r"\nFinal Answer: .+$", worked)
    with pytest.raises(BenchmarkError):
        TASKS[0]({"shots": "9"})
