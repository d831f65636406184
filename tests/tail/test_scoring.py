"""Grading: the oracle scores 1.0 everywhere, perturbed answers 0.0, extraction edge cases,
the length-generalization aggregate and the family summary."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.benchmarks.tail import FAMILY, TASKS
from evalsuite.benchmarks.tail.base import BUCKETS, effective_length
from evalsuite.core.types import Reply, SampleRecord
from evalsuite.engine import grading
from evalsuite.files.results import declared

BY_NAME = {task.task: task for task in TASKS}
INT_TASKS = {"derangement", "population-growth", "multi-machine-schedule", "count-letters", "knapsack-01",
             "lcs", "levenshtein", "binary-search"}
LIST_TASKS = {"bubble-sort", "dijkstra"}
SET_TASKS = {"any-substring", "diophantine-equation", "prime-search", "permutation-combination"}


def grade(bench, sample, reply):
    """The strict accuracy of one reply, graded as a run grades it."""
    prediction, score = grading.grade(bench, sample, Reply(text=reply))
    return score.values["accuracy"], prediction


def answer(text):
    return f"Let me work it out.\nFinal Answer: {text}"


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_oracle_scores_one_on_every_bucket(task):
    bench = task({"per_bucket": "100"})
    seen = {b: 0 for b in BUCKETS}
    for sample in bench.samples(None, 5, None):
        value, prediction = grade(bench, sample, bench.oracle_response(sample))
        assert value == 1.0, (sample.id, sample.target, prediction)
        # The stored prediction, read back (as a replay or a re-score would), still scores 1.
        assert bench.score(bench.from_structured(prediction.value, sample), sample).values["accuracy"] == 1.0
        json.dumps(prediction.value)
        seen[sample.metadata["bucket"]] += 1
    assert seen == {"S": 100, "M": 100, "L": 100}


# -- perturbations -------------------------------------------------------------------------------
def off_by_one(target: str) -> str | None:
    runs = list(re.finditer(r"\d+", target))
    if not runs:
        return None
    last = runs[-1]
    bumped = str(int(last.group()) + 1).zfill(len(last.group()))
    return target[: last.start()] + bumped + target[last.end():]


def items(target: str) -> list[str]:
    return re.findall(r"\(\d+, \d+\)", target) if target.startswith("(") else target.split(", ")


def one_missing(target: str) -> str | None:
    parts = items(target)
    if target == "none":
        return None
    return ", ".join(parts[:-1]) if len(parts) > 1 else "none"


def one_extra(target: str) -> str:
    parts = items(target)
    return ", ".join([*parts, parts[0]]) if target != "none" else ("(0, 0)" if "(" in target else "2")


def perturbations(task: str, target: str) -> list[str]:
    out: list[str | None] = []
    if task in INT_TASKS:
        out += [str(int(target) + 1), str(int(target) - 1)]
    elif task in ("large-number-addition", "large-number-division"):
        out += [off_by_one(target)]
    elif task in LIST_TASKS:
        out += [off_by_one(target), one_missing(target), one_extra(target)]
    elif task in SET_TASKS:
        out += [off_by_one(target), one_missing(target), one_extra(target)]
    elif task == "word-flip":
        first_space = target.index(" ")
        out += [target.replace(" ", "  ", 1), target[:1] + " " + target[1:], target[:first_space] + target[first_space + 1:]]
    elif task == "compare-numbers":
        out += [{">": "<", "<": "=", "=": ">"}[target]]
    return [p for p in out if p is not None]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_perturbed_answers_score_zero(task):
    bench = task({"per_bucket": "40"})
    tried = 0
    for sample in bench.samples(None, 9, None):
        for wrong in perturbations(task.task, sample.target):
            value, prediction = grade(bench, sample, answer(wrong))
            assert value == 0.0, (sample.id, sample.target, wrong, prediction)
            tried += 1
    assert tried >= 120


def test_set_answers_ignore_order_but_not_duplicates():
    primes = BY_NAME["prime-search"]({"per_bucket": "30"})
    sample = next(s for s in primes.samples(None, 0, None) if s.target.count(",") >= 2)
    shuffled = sample.target.split(", ")[::-1]
    assert grade(primes, sample, answer(", ".join(shuffled)))[0] == 1.0
    assert grade(primes, sample, answer("[" + ", ".join(shuffled) + "]"))[0] == 1.0
    combos = BY_NAME["permutation-combination"]({"per_bucket": "30"})
    sample = next(s for s in combos.samples(None, 0, None) if s.target.count(",") >= 2 and len(s.target.split(", ")[0]) > 1)
    reversed_inside = ", ".join(c[::-1] for c in sample.target.split(", "))
    assert grade(combos, sample, answer(reversed_inside))[0] == 1.0


def test_structured_replay_values():
    bench = BY_NAME["dijkstra"]({"per_bucket": "5"})
    sample = next(iter(bench.samples(None, 0, None)))
    gold = [int(v) for v in sample.target.split(", ")]
    assert bench.score(bench.from_structured(gold, sample), sample).values["accuracy"] == 1.0
    assert bench.score(bench.from_structured(gold[:-1], sample), sample).values["accuracy"] == 0.0
    broken = bench.from_structured({"not": "a list"}, sample)
    assert not broken.ok and bench.score(broken, sample).values["accuracy"] == 0.0
    pairs = BY_NAME["diophantine-equation"]({"per_bucket": "20"})
    sample = next(s for s in pairs.samples(None, 0, None) if s.target != "none")
    value = [list(map(int, p)) for p in re.findall(r"\((\d+), (\d+)\)", sample.target)]
    assert pairs.score(pairs.from_structured(value, sample), sample).values["accuracy"] == 1.0


# -- extraction edge cases -----------------------------------------------------------------------
def first(task: str, **options):
    bench = BY_NAME[task]({"per_bucket": "5", **options})
    return bench, next(iter(bench.samples(None, 0, None)))


def test_extraction_edge_cases_integer_task():
    bench, sample = first("knapsack-01")
    gold = sample.target
    accepted = [
        f"Final Answer: {gold}",
        f"**Final Answer:** {gold}",
        f"final answer: {gold}.",
        f"Final Answer: 0\nOn reflection that was wrong.\nFinal Answer: {gold}",
        f"The answer is \\boxed{{{gold}}}.",
        f"<think>Final Answer: 0</think>\nFinal Answer: {gold}",
        f"Final Answer:\n{gold}",
    ]
    for reply in accepted:
        assert grade(bench, sample, reply)[0] == 1.0, reply
    for reply, failure in [
        (None, "empty reply"),
        ("   ", "empty reply"),
        ("I'm sorry, I cannot solve this.", "refusal"),
        (f"<think>Final Answer: {gold}", "truncated"),  # the thinking never ended: cut off, no credit
    ]:
        value, prediction = grade(bench, sample, reply)
        assert value == 0.0 and prediction.failure == failure, (reply, prediction)
    # without the requested format: no strict credit, the flexible stage reads the last number
    prediction, score = grading.grade(bench, sample, Reply(text=f"The best value is {gold}."))
    assert (prediction.stage, score.values["accuracy"], score.values["accuracy_flexible"]) == ("flexible", 0.0, 1.0)
    assert grade(bench, sample, f"Final Answer: {gold} units")[0] == 1.0  # one number with a label word
    for reply in (f"Final Answer: {gold} or {int(gold) + 1}", "Final Answer: " + "9" * 100_001, "Final Answer: 1e3"):
        value, prediction = grade(bench, sample, reply)
        assert value == 0.0 and prediction.failure.startswith("unparseable"), prediction


def test_word_flip_spaces_are_exact():
    bench, sample = first("word-flip")
    gold = sample.target
    assert grade(bench, sample, answer(f'"{gold}"'))[0] == 1.0
    assert grade(bench, sample, answer(gold + "   "))[0] == 1.0  # the extractor trims the line ends
    assert grade(bench, sample, answer(gold.replace(" ", "  ")))[0] == 0.0
    assert grade(bench, sample, answer(gold.replace(" ", "")))[0] == 0.0
    assert grade(bench, sample, answer(gold.upper()))[0] == 0.0


def test_decimal_answers():
    bench, sample = first("large-number-division")
    gold = sample.target  # four decimals, e.g. 0.0011
    assert re.fullmatch(r"\d+\.\d{4}", gold)
    trimmed = gold.rstrip("0").rstrip(".") if gold.endswith("0") else gold
    assert grade(bench, sample, answer(trimmed))[0] == 1.0
    assert grade(bench, sample, answer(gold + "0"))[0] == 1.0
    assert grade(bench, sample, answer(gold + "1"))[0] == 0.0  # a fifth decimal: not truncated to 4
    add_bench, add_sample = first("large-number-addition")
    assert grade(add_bench, add_sample, answer(f"{add_sample.target[:3]},{add_sample.target[3:]}"))[0] == 1.0


def test_compare_numbers_words_and_symbols():
    bench, sample = first("compare-numbers")
    word = {">": "greater", "<": "less", "=": "equal"}[sample.target]
    assert grade(bench, sample, answer(f"x1 is {word}"))[0] == 1.0
    assert grade(bench, sample, answer(f"x1 {sample.target} x2"))[0] == 1.0
    assert grade(bench, sample, answer("> or <"))[0] == 0.0


def test_garbage_replies_never_raise():
    rng = random.Random(4)
    alphabet = "0123456789,.;:()[]{} -abcxyz'\"\n<>=\\"
    for task in TASKS:
        bench = task({"per_bucket": "3"})
        for sample in bench.samples(None, 0, None):
            for _ in range(30):
                junk = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
                value, _ = grade(bench, sample, "Final Answer: " + junk)
                assert value in (0.0, 1.0)


# -- aggregate and family summary ----------------------------------------------------------------
def record(index: int, bucket: str, length: int, correct: bool) -> SampleRecord:
    return SampleRecord(
        benchmark="tail/lcs", id=f"{bucket}-{index:04d}", prompt=[], response=None, prediction=None,
        target="1", scores={"accuracy": 1.0 if correct else 0.0}, extraction="final-answer", error=None,
        metadata={"task": "lcs", "class": "Dynamic programming", "bucket": bucket, "length": length,
                  "lengths": {"n": length, "m": length}},
    )


def test_aggregate_by_bucket_and_length():
    # S: 4 of 4 right at length 6; M: 1 of 2 at 7, 0 of 2 at 9; L: 2 of 2 at 12.
    rows = [(0, "S", 6, True), (1, "S", 6, True), (2, "S", 6, True), (3, "S", 6, True),
            (0, "M", 7, True), (1, "M", 7, False), (2, "M", 9, False), (3, "M", 9, False),
            (0, "L", 12, True), (1, "L", 12, True)]
    lcs = BY_NAME["lcs"]({})
    result = declared(lcs, lcs.aggregate([record(*row) for row in rows], seed=0))
    m = result.metrics
    assert m["accuracy"].value == pytest.approx(7 / 10)
    assert m["id_accuracy"].value == 1.0 and m["id_accuracy"].n == 4
    assert m["ood_accuracy"].value == pytest.approx(3 / 6) and m["ood_accuracy"].n == 6
    assert m["ood_id_ratio"].value == pytest.approx(0.5)
    # Accuracy by length: 6 -> 1, 7 -> 0.5, 9 -> 0, 12 -> 1: stays >= 0.5 up to 7.
    assert m["effective_length"].value == 7
    assert set(result.groups) == {"bucket", "length"}
    assert result.groups["length"]["9"]["metrics"]["accuracy"]["value"] == 0.0
    assert result.groups["bucket"]["M"]["n"] == 4
    data = result.to_dict()
    assert data["in_distribution_max_length"] == 6 and data["effective_length_threshold"] == 0.5
    assert data["headline"] == "accuracy" and data["higher_is_better"]["effective_length"] is True
    stricter = BY_NAME["lcs"]({"effective_threshold": "0.9"}).aggregate([record(*row) for row in rows], seed=0)
    assert stricter.metrics["effective_length"].value == 6


def test_effective_length_rules():
    assert effective_length({3: 0.4, 4: 1.0}, 0.5) == 0
    assert effective_length({3: 0.5, 4: 0.6, 5: 0.49, 6: 0.9}, 0.5) == 4
    assert effective_length({}, 0.5) == 0


def test_family_summary_per_class_and_overall():
    def entry(acc, acc_n, id_acc, id_n, ood, ood_n):
        return {"n": acc_n, "metrics": {"accuracy": {"value": acc, "n": acc_n},
                                        "id_accuracy": {"value": id_acc, "n": id_n},
                                        "ood_accuracy": {"value": ood, "n": ood_n}}}

    summary = FAMILY.summarize({
        "tail/lcs": entry(0.5, 30, 1.0, 10, 0.25, 20),
        "tail/levenshtein": entry(0.9, 30, 0.9, 10, 0.9, 20),
        "tail/word-flip": entry(0.2, 60, 0.6, 20, 0.0, 40),
    })
    dp = summary["classes"]["Dynamic programming"]
    assert dp["accuracy"] == pytest.approx(0.7) and dp["n"] == 2 and dp["samples"] == 60
    assert summary["classes"]["Simulation"]["accuracy"] == pytest.approx(0.2)
    # Pooled over samples: S = (10 + 9 + 12) / 40, M/L = (5 + 18 + 0) / 80.
    assert summary["overall"]["id_accuracy"] == pytest.approx(31 / 40)
    assert summary["overall"]["ood_accuracy"] == pytest.approx(23 / 80)
    assert summary["overall"]["ood_id_ratio"] == pytest.approx((23 / 80) / (31 / 40))
    assert list(summary["classes"]) == ["Simulation", "Dynamic programming"]  # the paper's order


# -- through the runner --------------------------------------------------------------------------
def evalsuite(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalsuite.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def cli_available():
    if evalsuite("--help").returncode != 0:
        pytest.skip("evalsuite CLI not available")


def test_runner_oracle_and_perturbed_replay(tmp_path: Path, cli_available):
    done = evalsuite("run", "--model", "oracle", "--benchmark", "tail", "--limit", "30", "--out", str(tmp_path / "oracle"))
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "oracle" / "results.json").read_text())
    assert len([name for name in results["benchmarks"] if name.startswith("tail/")]) == 18
    for name, entry in results["benchmarks"].items():
        assert entry["metrics"]["accuracy"]["value"] == 1.0, name
        assert set(entry["groups"]) == {"bucket", "length"} and "in_distribution_max_length" in entry
    assert results["families"]["tail"]["overall"]["accuracy"] == 1.0
    lines = []
    for row in map(json.loads, (tmp_path / "oracle" / "samples.jsonl").read_text().splitlines()):
        task = row["benchmark"].split("/", 1)[1]
        wrong = perturbations(task, row["target"])
        lines.append({"benchmark": row["benchmark"], "id": row["id"], "response": answer(wrong[0])})
    replay = tmp_path / "perturbed.jsonl"
    replay.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    done = evalsuite("run", "--model", f"replay/{replay}", "--benchmark", "tail", "--limit", "30", "--out", str(tmp_path / "replay"))
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "replay" / "results.json").read_text())
    for name, entry in results["benchmarks"].items():
        assert entry["metrics"]["accuracy"]["value"] == 0.0, name
