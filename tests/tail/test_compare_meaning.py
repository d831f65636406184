"""compare-numbers grades meaning, not symbols: 30 hand-written replies and their grades.

x1 = 12345 and x2 = 12346, so the right answer is '<' (x1 < x2). Each reply's expected grade was
worked out by reading it as a person would: operand order counts, words work as symbols, and a
negated or non-strict relation names none of >, <, = (failure, reason ``ambiguous``).
"""

from __future__ import annotations

import pytest

from evalsuite.benchmarks.tail.compare_numbers import CompareNumbers
from evalsuite.core.types import Reply, Sample
from evalsuite.engine.grading import grade

X1, X2 = "12345", "12346"
RIGHT, WRONG, AMBIGUOUS, UNREADABLE = "right", "wrong", "ambiguous", "unreadable"
REPLIES = [
    ("Final Answer: <", RIGHT),
    ("Final Answer: >", WRONG),
    ("Final Answer: =", WRONG),
    ("Final Answer: x1 < x2", RIGHT),
    ("Final Answer: x2 > x1", RIGHT),  # the right relation written the other way round
    ("Final Answer: x2 < x1", WRONG),  # means x1 > x2
    ("Final Answer: x1 > x2", WRONG),
    ("Final Answer: less", RIGHT),
    ("Final Answer: x1 is less than x2", RIGHT),
    ("Final Answer: x1 is smaller than x2", RIGHT),
    ("Final Answer: x2 is greater than x1", RIGHT),
    ("Final Answer: x2 is larger", RIGHT),
    ("Final Answer: x1 is greater than x2", WRONG),
    ("Final Answer: greater", WRONG),
    ("Final Answer: 12345 < 12346", RIGHT),
    ("Final Answer: 12346 > 12345", RIGHT),
    ("Final Answer: 12346 < 12345", WRONG),
    ("Final Answer: $x_1 < x_2$", RIGHT),
    ("Final Answer: x_{1} \\lt x_{2}", RIGHT),
    ("Final Answer: < (x1 is less than x2)", RIGHT),
    ("Final Answer: x2 is bigger than x1, so x1 < x2", RIGHT),
    ("Final Answer: equal", WRONG),
    ("Final Answer: x1 is not less than x2", AMBIGUOUS),
    ("Final Answer: x1 is not greater than x2", AMBIGUOUS),  # could be < or =
    ("Final Answer: >=", AMBIGUOUS),
    ("Final Answer: x1 <= x2", AMBIGUOUS),
    ("Final Answer: x1 ≠ x2", AMBIGUOUS),
    ("Final Answer: x1 < x2 and x1 > x2", AMBIGUOUS),
    ("Final Answer: 99 < 100", UNREADABLE),  # operands that are neither x1 nor x2
    ("Final Answer: I compared them", UNREADABLE),
]


@pytest.fixture(scope="module")
def bench_sample():
    bench = CompareNumbers()
    prompt = [{"role": "user", "content": f"Compare x1 = {X1} and x2 = {X2}."}]
    return bench, Sample(id="hand", messages=prompt, target="<", metadata={"operands": [X1, X2], "bucket": "S"})


def test_thirty_replies():
    assert len(REPLIES) == 30


@pytest.mark.parametrize("reply, expected", REPLIES)
def test_reply_is_graded_by_meaning(bench_sample, reply, expected):
    bench, sample = bench_sample
    prediction, score = grade(bench, sample, Reply(text=reply))
    accuracy = score.values["accuracy"]
    if expected == RIGHT:
        assert accuracy == 1.0, prediction
    elif expected == WRONG:
        assert accuracy == 0.0 and prediction.ok, prediction
    elif expected == AMBIGUOUS:
        assert accuracy == 0.0 and prediction.failure.startswith("ambiguous"), prediction
    else:
        assert accuracy == 0.0 and prediction.failure.startswith("unparseable"), prediction


def test_flexible_stage_reads_the_last_relation_line(bench_sample):
    bench, sample = bench_sample
    prediction, score = grade(bench, sample, Reply(text="Digit five differs: 5 < 6.\nSo x2 is larger."))
    assert prediction.stage == "flexible" and score.values["accuracy"] == 0.0
    assert score.values["accuracy_flexible"] == 1.0


@pytest.mark.parametrize("reply, expected", [
    # restating the operands is no comparison, and the reason says so (issue 31)
    ("Final Answer: x1 = 12345, x2 = 12346", "only restates the operands"),
    ("Final Answer: x2 = 12346", "only restates the operands"),
    # a restatement beside a relation: the relation is the answer
    ("Final Answer: x1 = 12345 and x2 = 12346, so x1 < x2", RIGHT),
    # an operand compared with itself by name is still called out
    ("Final Answer: x1 = x1", "compares an operand with itself"),
])
def test_restated_operands_are_no_relation(bench_sample, reply, expected):
    bench, sample = bench_sample
    prediction, score = grade(bench, sample, Reply(text=reply))
    if expected == RIGHT:
        assert score.values["accuracy"] == 1.0, prediction
    else:
        assert score.values["accuracy"] == 0.0 and expected in (prediction.failure or ""), prediction
