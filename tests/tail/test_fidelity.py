"""TAIL prompts and the two fidelity modes: one reading per template, Table C1 definitions under
``fidelity=paper`` (checked with independent formulas), trivial-sample caps, and where the mode
is recorded."""

from __future__ import annotations

import math
import random
import re
import string
import subprocess
import sys
from fractions import Fraction

import pytest

from evalsuite.benchmarks.tail import TASKS
from evalsuite.benchmarks.tail.base import BUCKETS

BY_NAME = {task.task: task for task in TASKS}
MODES = ("extended", "paper")
HIDDEN_FIELDS = {"kind", "k", "template"}  # derangement shows k inside its condition; template picks phrasing
# inputs a prompt shows another way: dijkstra's vertex count as "0 to last", the task count as the list
IMPLIED = {"dijkstra": {"n"}, "multi-machine-schedule": {"n"}}
MATH = re.compile(r"\$[^$]*\$")


def bench(task: str, mode: str, per_bucket: int = 150):
    return BY_NAME[task]({"fidelity": mode, "per_bucket": str(per_bucket)})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_every_template_shows_every_input(task, mode):
    """A template that leaves out an input the answer depends on has more than one reading."""
    b = task({"fidelity": mode})
    instance = b.draw(random.Random(3), "S")
    for template in b.active_templates:
        text = template.format(**instance.fields)
        for key, value in instance.fields.items():
            if key not in HIDDEN_FIELDS | IMPLIED.get(task.task, set()):
                assert str(value) in text, (task.task, key, template)


@pytest.mark.parametrize("mode", MODES)
def test_word_flip_templates_say_spaces_are_reversed_too(mode):
    for template in BY_NAME["word-flip"]({"fidelity": mode}).active_templates:
        lowered = template.lower()
        assert "where they fall" not in lowered and "keeping the spaces" not in lowered, template
        # either the whole string is reversed character by character, or spaces are named as reversed
        assert "character" in lowered or "reverse order" in lowered, template


@pytest.mark.parametrize("mode", MODES)
def test_derangement_templates_never_imply_every_element_moves(mode):
    for template in BY_NAME["derangement"]({"fidelity": mode}).active_templates:
        assert "new order" not in template.lower(), template


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task)
def test_paper_mode_has_twelve_distinct_templates_with_latex_numbers(task):
    templates = task({"fidelity": "paper"}).active_templates
    assert len(set(templates)) >= 12
    fields = task({"fidelity": "paper"}).draw(random.Random(1), "S").fields
    numeric = [k for k, v in fields.items() if isinstance(v, int) and k not in HIDDEN_FIELDS | IMPLIED.get(task.task, set())]
    for template in templates:
        maths = " ".join(MATH.findall(template.format(**fields)))
        for key in numeric:
            assert str(fields[key]) in maths, (task.task, key, template)


def derangements_by_inclusion_exclusion(n: int) -> int:
    return sum((-1) ** j * math.factorial(n) // math.factorial(j) for j in range(n + 1))


def test_paper_definitions():
    for bucket in BUCKETS:
        lo, hi = BY_NAME["prime-search"].ranges[bucket]
        for _, inst in bench("prime-search", "paper").instances(bucket, 0):
            low, high = inst.fields["low"], inst.fields["high"]
            assert lo <= low < high <= hi
            assert inst.answer == [p for p in range(low, high + 1) if all(p % d for d in range(2, p))]
        for _, inst in bench("derangement", "paper").instances(bucket, 0):
            assert inst.fields["kind"] == "derangement"
            assert inst.answer == derangements_by_inclusion_exclusion(inst.fields["n"])
        for _, inst in bench("permutation-combination", "paper").instances(bucket, 0):
            assert inst.answer == math.comb(inst.lengths["n"], inst.fields["k"])
        for _, inst in bench("population-growth", "paper").instances(bucket, 0):
            assert inst.fields["x"] < inst.fields["n"]
        for task in ("large-number-addition", "compare-numbers"):
            for _, inst in bench(task, "paper").instances(bucket, 0):
                assert "." not in str(inst.fields["x1"])
        points = 0
        for _, inst in bench("large-number-division", "paper").instances(bucket, 0):
            x1, x2 = inst.fields["x1"], inst.fields["x2"]
            points += "." in str(x2)
            truncated = math.floor(Fraction(x1) / Fraction(str(x2)) * 10**4)
            assert inst.answer * 10**4 == truncated
        assert points > 0
        for _, inst in bench("diophantine-equation", "paper").instances(bucket, 0):
            assert inst.fields["a"] >= 1 and inst.fields["b"] >= 1


def test_extended_mode_keeps_its_definitions():
    """The default still asks the extended questions (the paper's are opt-in)."""
    kinds = {inst.fields["kind"] for _, inst in bench("derangement", "extended").instances("S", 0)}
    assert kinds == {"derangement", "exactly", "avoid"}
    answer = next(bench("permutation-combination", "extended").instances("S", 0))[1].answer
    assert isinstance(answer, list) and all(set(c) <= set(string.ascii_lowercase) for c in answer)


TRIVIAL = {
    "permutation-combination": lambda inst: inst.fields["k"] in (1, inst.lengths["n"]),
    "large-number-division": lambda inst: inst.answer == 0,
    "diophantine-equation": lambda inst: not inst.answer,
    "prime-search": lambda inst: not inst.answer,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("task", sorted(TRIVIAL))
def test_trivial_samples_are_at_most_a_tenth_of_a_bucket(task, mode):
    b = bench(task, mode, per_bucket=200)
    for bucket in BUCKETS:
        instances = [inst for _, inst in b.instances(bucket, 0)]
        assert sum(map(TRIVIAL[task], instances)) <= 0.1 * len(instances), (task, bucket)


def test_results_and_samples_record_the_fidelity_mode():
    from evalsuite.core.types import Reply
    from evalsuite.engine.grading import grade, record_of

    for mode in MODES:
        b = bench("lcs", mode, per_bucket=2)
        records = []
        for sample in b.samples(None, 0, None):
            prediction, score = grade(b, sample, Reply(text=b.oracle_response(sample)))
            records.append(record_of(b, sample, sample.messages, Reply(text=""), prediction, score))
        assert {r.metadata["fidelity"] for r in records} == {mode}
        assert b.aggregate(records, 0).extra["fidelity"] == mode
        assert b.config()["options"]["fidelity"] == mode


def test_list_long_names_each_divergence():
    out = subprocess.run([sys.executable, "-m", "evalsuite.cli", "list", "--long"], capture_output=True, text=True,
                         check=True).stdout
    block = out.split("tail/prime-search\t", 1)[1].split("\ntail/", 1)[0]
    assert "fidelity=paper" in block and "bounds' values" in block
    assert "only 25-34%" in out.split("tail/derangement\t", 1)[1].split("\ntail/", 1)[0]
