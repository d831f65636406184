"""Answer extraction: each stage, the last-marker rule, ambiguity, the flexible stage, and
failures that never earn credit. The issue-16 cases are graded through real benchmarks (TAIL,
forward synthesis, crystal stability) as a run grades them."""

import pytest

from evalsuite.benchmarks.crystal_stability import CrystalStability
from evalsuite.benchmarks.synthesis.forward import ForwardSynthesis
from evalsuite.benchmarks.tail import BinarySearch, LargeNumberAddition
from evalsuite.core.extraction import extract_answer, last_boxed
from evalsuite.core.types import Reply
from evalsuite.engine.grading import grade


def test_final_answer_line_wins_over_earlier_numbers():
    found = extract_answer("First 12, then 13.\nFinal Answer: 42")
    assert (found.answer, found.stage) == ("42", "final-answer")


def test_final_answer_inside_a_sentence_with_markup():
    found = extract_answer("The answer is: `Final Answer: 102.5`.")
    assert (found.answer, found.stage) == ("102.5", "final-answer")


def test_markdown_bold_final_answer():
    assert extract_answer("**Final Answer:** 7").answer == "7"


def test_last_of_several_final_answers():
    assert extract_answer("Final Answer: 1\nwait, no.\nFinal Answer: 2").answer == "2"


def test_the_last_marker_by_position_wins_whatever_its_kind():
    found = extract_answer("Final Answer: 3\n<answer>4</answer>")
    assert (found.answer, found.stage) == ("4", "answer-tag")
    found = extract_answer("<answer>4</answer>\nFinal Answer: 3")
    assert (found.answer, found.stage) == ("3", "final-answer")
    found = extract_answer("A first attempt gave \\boxed{11}, but that was a slip.\nFinal Answer: 10")
    assert (found.answer, found.stage) == ("10", "final-answer")
    # a box after the final line is the reply's last word: the rule reads it (documented)
    found = extract_answer("Final Answer: 10\nActually \\boxed{12}")
    assert (found.answer, found.stage) == ("12", "boxed")
    assert extract_answer("[ANSWER] CCO [/ANSWER]").answer == "CCO"


def test_a_marker_wrapping_another_gives_way_to_the_inner_one():
    assert extract_answer("Final Answer: \\boxed{7}").answer == "7"
    assert extract_answer("<answer>Final Answer: 7</answer>").answer == "7"
    assert extract_answer("Final Answer: \\boxed{7} (that is, \\boxed{7})").answer == "7"


def test_two_different_answers_on_the_last_marker_line_are_ambiguous():
    for reply in ("Final Answer: \\boxed{10} or \\boxed{11}", "Final Answer: 10 Final Answer: 11",
                  "<answer>3</answer> <answer>4</answer>", "Final Answer: 1\n\\boxed{2} \\boxed{3}"):
        found = extract_answer(reply)
        assert found.answer is None and found.failure.startswith("ambiguous"), reply
    # on different lines the last one wins, no ambiguity
    assert extract_answer("\\boxed{1}\n\\boxed{2}").answer == "2"


def test_boxed_is_balanced():
    assert last_boxed(r"so \boxed{\frac{1}{2}} and") == r"\frac{1}{2}"
    assert extract_answer("\\boxed{1} then\n\\boxed{{2}}").answer == "{2}"
    assert last_boxed(r"\boxed{unclosed") is None


def test_a_json_list_after_final_answer_is_read_whole():
    found = extract_answer('Final Answer:\n```json\n[\n  {"a": 1},\n  {"b": 2}\n]\n```')
    assert found.stage == "final-answer" and found.parsed_json == [{"a": 1}, {"b": 2}]
    found = extract_answer('Final Answer: [1,\n 2,\n 3]')
    assert found.parsed_json == [1, 2, 3]


def test_flexible_stage_is_tried_only_without_any_marker_or_refusal():
    from evalsuite.core.extraction import last_number

    found = extract_answer("The answer is 42.", ("final-answer",), flexible=last_number)
    assert (found.answer, found.stage) == ("42", "flexible")
    assert extract_answer("The answer is 42.", ("final-answer",)).failure == "no answer found"
    assert extract_answer("Final Answer: 7, not 42", ("final-answer",), flexible=last_number).stage == "final-answer"
    assert extract_answer("I'm sorry, I cannot add 3 and 4.", flexible=last_number).failure == "refusal"


def strict_and_flexible(bench, sample, text):
    prediction, score = grade(bench, sample, Reply(text=text))
    return prediction, score.values[bench.headline], score.values[f"{bench.headline}_flexible"]


def test_hand_written_replies_strict_and_flexible():
    """Issue 14, item 5: "The answer is 42." is flexible 42 and strict none."""
    bench = LargeNumberAddition()
    sample = next(iter(bench.samples(None, 0, 1)))
    sample = type(sample)(id="x", messages=sample.messages, target="42", metadata=sample.metadata)
    prediction, strict, flexible = strict_and_flexible(bench, sample, "The answer is 42.")
    assert (prediction.value, prediction.stage, strict, flexible) == ("42", "flexible", 0.0, 1.0)
    prediction, strict, flexible = strict_and_flexible(bench, sample, "Final Answer: 42")
    assert (prediction.stage, strict, flexible) == ("final-answer", 1.0, 1.0)
    prediction, strict, flexible = strict_and_flexible(bench, sample, "The answer is 41.")
    assert (prediction.stage, strict, flexible) == ("flexible", 0.0, 0.0)
    prediction, strict, flexible = strict_and_flexible(bench, sample, "No idea.")
    assert (prediction.failure, strict, flexible) == ("no answer found", 0.0, 0.0)


@pytest.fixture(scope="module")
def binary_search_sample():
    bench = BinarySearch()
    return bench, next(iter(bench.samples(None, 0, 1)))


@pytest.mark.parametrize("template, credited", [
    ("A first attempt gave \\boxed{{{wrong}}}, but that was a slip.\nFinal Answer: {gold}", True),
    ("<answer>{wrong}</answer>\nLet me check again.\nFinal Answer: {gold}", True),
    ("Final Answer: {wrong}\nNo: <answer>{gold}</answer>", True),
    ("Final Answer: Index {gold}", True),
    ("Final Answer: \\boxed{{{gold}}} or \\boxed{{{wrong}}}", False),
    ("Final Answer: {gold} or {wrong}", False),
])
def test_tail_replies_follow_the_last_marker(binary_search_sample, template, credited):
    bench, sample = binary_search_sample
    gold = sample.target
    wrong = str(int(gold) + 1)
    prediction, strict, _ = strict_and_flexible(bench, sample, template.format(gold=gold, wrong=wrong))
    assert strict == (1.0 if credited else 0.0), prediction


def test_chemistry_replies_follow_the_last_marker():
    bench = ForwardSynthesis()
    sample = next(iter(bench.samples(None, 0, 1)))
    gold = sample.target
    early = f"<answer>CCO</answer>\nThat ignores the reagent.\nFinal Answer: {gold}"
    assert grade(bench, sample, Reply(text=early))[1].values["accuracy"] == 1.0
    late = f"\\boxed{{CCO}} was my first guess.\nFinal Answer: {gold}"
    assert grade(bench, sample, Reply(text=late))[1].values["accuracy"] == 1.0
    two = f"Final Answer: \\boxed{{{gold}}} \\boxed{{CCO}}"
    prediction, score = grade(bench, sample, Reply(text=two))
    assert prediction.failure.startswith("ambiguous") and score.values["accuracy"] == 0.0


def test_crystal_replies_follow_the_last_marker():
    bench = CrystalStability()
    sample = next(iter(bench.samples(None, 0, 1)))
    truth = "stable" if sample.target["stable"] else "unstable"
    other = "unstable" if truth == "stable" else "stable"
    reply = f"At first \\boxed{{{other}}}, but the hull says otherwise.\nFinal Answer: {truth}"
    assert grade(bench, sample, Reply(text=reply))[1].values["correct"] == 1.0
    reply = f"<answer>{other}</answer>\nRechecking the competing phases.\nFinal Answer: {truth}"
    assert grade(bench, sample, Reply(text=reply))[1].values["correct"] == 1.0
    prediction, score = grade(bench, sample, Reply(text=f"Final Answer: \\boxed{{{truth}}} \\boxed{{{other}}}"))
    assert prediction.failure.startswith("ambiguous") and score.values["correct"] == 0.0


def test_think_blocks_are_ignored_and_unclosed_think_is_no_answer():
    found = extract_answer("<think>Final Answer: 1</think>Final Answer: 2")
    assert found.answer == "2"
    unclosed = extract_answer("<think>Final Answer: 1 ... still thinking")
    assert unclosed.answer is None and unclosed.failure == "unclosed think block"


def test_json_and_fenced_code_stages():
    found = extract_answer('Here: {"a": [1, 2]} done', stages=("json",))
    assert found.stage == "json" and found.parsed_json == {"a": [1, 2]}
    assert extract_answer("```smiles\nCCO\n```", stages=("fenced-code",)).answer == "CCO"


def test_json_search_is_bounded_on_pathological_input():
    found = extract_answer("[" * 200_000, stages=("json",))
    assert found.answer is None and found.failure == "no answer found"


def test_refusal_is_told_apart_from_a_missing_answer():
    assert extract_answer("I'm sorry, but I cannot help with that.").failure == "refusal"
    assert extract_answer("The weather is nice.").failure == "no answer found"
    assert extract_answer("").failure == "empty reply"
    assert extract_answer(None).failure == "empty reply"


def test_refusal_words_do_not_hide_a_real_answer():
    assert extract_answer("I cannot be sure, but Final Answer: 5").answer == "5"
