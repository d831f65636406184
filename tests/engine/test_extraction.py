"""Answer extraction: each stage, the order between them, and failures that never earn credit."""

from evalsuite.extraction import extract_answer, last_boxed


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


def test_answer_tags_take_precedence_over_final_answer():
    found = extract_answer("Final Answer: 3\n<answer>4</answer>")
    assert (found.answer, found.stage) == ("4", "answer-tag")
    assert extract_answer("[ANSWER] CCO [/ANSWER]").answer == "CCO"


def test_boxed_is_balanced():
    assert last_boxed(r"so \boxed{\frac{1}{2}} and") == r"\frac{1}{2}"
    assert extract_answer(r"\boxed{1} then \boxed{{2}}").answer == "{2}"
    assert last_boxed(r"\boxed{unclosed") is None


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
