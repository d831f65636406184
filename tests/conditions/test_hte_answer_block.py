"""HTE: the ranked choices end where the answer ends; a reply without an answer marker earns
flexible credit only (issue 26). Expected values are read off the item's measured yields."""

from __future__ import annotations

import pytest

from evalsuite.core import registry
from evalsuite.rewards import grade

NAME = "hte-conditions/buchwald-hartwig"


@pytest.fixture
def item(shared_data):
    bench = registry.create(NAME)
    for sample in bench.samples(shared_data / "hte", 0, 40):
        yields = sample.target["yields"]
        ranked = sorted(yields, key=lambda code: -yields[code])
        if yields[ranked[0]] > yields[ranked[3]] > 0:  # one best, and a fourth choice that made something
            return sample, ranked
    raise AssertionError("no item with a clear best condition")


def test_prose_after_the_answer_is_not_read_as_further_choices(item):
    sample, ranked = item
    best, low = ranked[0], ranked[-1]
    reply = f"Final Answer: {low}\n\nI avoided {best} because MTBD is weak."
    result = grade(NAME, sample.target, reply, metadata=sample.metadata)
    assert result.subscores["top3_hit"] == 0.0 and result.subscores["top1_hit"] == 0.0
    yields = sample.target["yields"]
    assert result.subscores["normalised_yield"] == pytest.approx(yields[low] / yields[best])
    block = f"Final Answer:\n{ranked[3]}\n{ranked[4]}\n{best}\n\nNot {ranked[1]}, not {ranked[2]}."
    listed = grade(NAME, sample.target, block, metadata=sample.metadata)
    assert listed.subscores["top3_hit"] == 1.0 and listed.subscores["top1_hit"] == 0.0  # the best is third


def test_a_reply_without_an_answer_marker_earns_flexible_credit_only(item):
    sample, ranked = item
    result = grade(NAME, sample.target, f"I would use {ranked[0]}.", metadata=sample.metadata)
    assert result.subscores["normalised_yield"] == 0.0 and result.subscores["top1_hit"] == 0.0
    assert result.subscores["normalised_yield_flexible"] == 1.0
    assert (result.score, result.format_ok) == (0.0, False)
