"""SMolInstruct graders, by hand: the strict headline (right, wrong, an equivalent SMILES written
differently, invalid, missing) and, under ``protocol=opencompass``, each OpenCompass convention
(opencompass/datasets/smolinstruct.py) on the same replies, with the difference from the strict
grade."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from evalsuite.core import registry
from evalsuite.engine.grading import graded

ALL = [f"smolinstruct/{m}" for m in ("nc-i2f", "nc-i2s", "nc-s2f", "nc-s2i", "pp-esol", "pp-lipo", "pp-bbbp",
                                     "pp-clintox", "pp-hiv", "pp-sider", "mc", "mg", "fs", "rs")]


def first(name, data, protocol="strict", index=0):
    bench = registry.create(name, {"protocol": protocol})
    return bench, list(bench.samples(data, 0, None))[index]


def grade(name, data, reply, protocol="strict", index=0):
    bench, sample = first(name, data, protocol, index)
    return graded(bench, sample, reply)


def test_every_task_is_listed():
    listed = subprocess.run([sys.executable, "-m", "evalsuite", "list"], capture_output=True, text=True, check=True).stdout
    for name in ALL:
        assert name in listed


@pytest.mark.parametrize("name", ALL)
def test_oracle_is_perfect_on_the_fixtures(name, fixture_data):
    bench = registry.create(name, {"protocol": "opencompass"})
    samples = list(bench.samples(fixture_data, 0, None))
    assert len(samples) == 3
    for sample in samples:
        record = graded(bench, sample, bench.oracle_response(sample))
        headline = record.scores[bench.headline]
        if bench.headline in ("abs_error",):
            assert headline == 0.0 and record.scores["oc_score"] == 0.0
        elif bench.headline == "meteor":
            # METEOR's fragmentation penalty 0.5 (1/n)^3 keeps even the identical caption (n words) below 1
            words = len(str(sample.target).split())
            assert headline == pytest.approx(1 - 0.5 / words**3, abs=1e-3)
        else:
            assert headline == 1.0 and record.scores["oc_score"] == 100.0


# -- SMILES tasks: I2S, MG, FS, RS -----------------------------------------------------------

def test_equivalent_smiles_written_differently_is_right_strictly_but_not_for_opencompass_exact(fixture_data):
    # gold of the first I2S row: O=C(O)c1ccccc1 (benzoic acid); the reply writes it from the ring
    record = grade("smolinstruct/nc-i2s", fixture_data, "<SMILES> OC(=O)c1ccccc1 </SMILES>", "opencompass")
    assert record.scores["accuracy"] == 1.0
    assert record.scores["oc_score"] == 0.0  # NCExactMatchEvaluator compares strings


def test_forward_synthesis_strict_and_opencompass_tanimoto(fixture_data):
    # gold: CCOC(C)=O (ethyl acetate). Reply: methyl acetate, a valid different molecule
    record = grade("smolinstruct/fs", fixture_data, "<SMILES> COC(C)=O </SMILES>", "opencompass")
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    a = gen.GetFingerprint(Chem.MolFromSmiles("COC(C)=O"))
    b = gen.GetFingerprint(Chem.MolFromSmiles("CCOC(C)=O"))
    # Tanimoto = |a & b| / |a | b| from the two bit sets, counted here
    on_a, on_b = set(a.GetOnBits()), set(b.GetOnBits())
    expected = len(on_a & on_b) / len(on_a | on_b)
    assert 0 < expected < 1 and expected == DataStructs.TanimotoSimilarity(a, b)
    assert record.scores["accuracy"] == 0.0 and record.scores["invalid"] == 0.0
    assert record.scores["tanimoto"] == pytest.approx(expected)
    assert record.scores["oc_score"] == pytest.approx(100 * expected)


def test_retrosynthesis_fragment_order_is_free(fixture_data):
    # gold: CC(=O)O.CCO; the reply lists ethanol first
    record = grade("smolinstruct/rs", fixture_data, "<SMILES> OCC.OC(C)=O </SMILES>", "opencompass")
    assert record.scores["accuracy"] == 1.0 and record.scores["oc_score"] == pytest.approx(100.0)


def test_invalid_and_missing_smiles(fixture_data):
    invalid = grade("smolinstruct/mg", fixture_data, "<SMILES> C1CC(C </SMILES>", "opencompass")
    assert invalid.scores == {"accuracy": 0.0, "invalid": 1.0, "tanimoto": 0.0, "oc_score": 0.0,
                              "accuracy_flexible": 0.0}
    missing = grade("smolinstruct/mg", fixture_data, "I am not sure which molecule this is, sorry about that.",
                    "opencompass")
    assert missing.extraction.startswith("failed") and missing.scores["accuracy"] == 0.0
    # OpenCompass reads an untagged reply whole: RDKit cannot parse it, similarity 0
    assert missing.scores["oc_score"] == 0.0


def test_mean_tanimoto_times_100_over_the_task(fixture_data):
    """FTS: the task's number is the mean of Tanimoto x 100 with invalid replies as 0: one exact
    (100) and one invalid (0) reply -> 50."""
    bench = registry.create("smolinstruct/fs", {"protocol": "opencompass"})
    samples = list(bench.samples(fixture_data, 0, None))
    records = [graded(bench, samples[0], "<SMILES> CCOC(C)=O </SMILES>"),
               graded(bench, samples[1], "<SMILES> not-a-smiles </SMILES>")]
    result = bench.aggregate(records, 0)
    assert result.metrics["oc_score"].value == pytest.approx(50.0)
    assert result.metrics["accuracy"].value == pytest.approx(0.5)


# -- name conversion: formulas and names -------------------------------------------------------

def test_formula_element_counts_in_any_order(fixture_data):
    # gold C2H6O (ethanol): H6C2O is the same counts; C2H5OH too (H 5 + 1)
    for reply in ("<MOLFORMULA> H6C2O </MOLFORMULA>", "<MOLFORMULA> C2H5OH </MOLFORMULA>"):
        record = grade("smolinstruct/nc-i2f", fixture_data, reply, "opencompass")
        assert record.scores["accuracy"] == 1.0 and record.scores["oc_score"] == 100.0, reply
    wrong = grade("smolinstruct/nc-i2f", fixture_data, "<MOLFORMULA> C2H4O </MOLFORMULA>", "opencompass")
    assert wrong.scores["accuracy"] == 0.0 and wrong.scores["oc_score"] == 0.0


def test_formula_with_an_unknown_element_is_invalid_strictly_but_parsed_by_opencompass(fixture_data):
    # "Xx" is no element; OpenCompass's regex reads X with count 1, then stops at the small x:
    # {X: 1} != {C: 2, H: 6, O: 1}, so 0 there too, but strictly it is invalid, not wrong
    record = grade("smolinstruct/nc-i2f", fixture_data, "<MOLFORMULA> Xx2 </MOLFORMULA>", "opencompass")
    assert record.scores["invalid"] == 1.0 and record.scores["oc_score"] == 0.0
    # brackets: strictly Ca(OH)2 = CaH2O2; OpenCompass's validity regex refuses brackets
    _bench, _sample = first("smolinstruct/nc-s2f", fixture_data, "opencompass")
    from evalsuite.scorers import formula, opencompass

    assert formula.same_formula("Ca(OH)2", "CaO2H2")
    assert opencompass.element_counts("Ca(OH)2") is None


def test_iupac_name_strict_ignores_case_and_spacing_opencompass_does_not(fixture_data):
    record = grade("smolinstruct/nc-s2i", fixture_data, "<IUPAC> Ethanol </IUPAC>", "opencompass")
    assert record.scores["accuracy"] == 1.0 and record.scores["oc_score"] == 0.0


# -- regression: ESOL, Lipo ---------------------------------------------------------------------

def test_missing_regression_number_counts_as_zero_for_opencompass(fixture_data):
    """ESOL golds -1.64 and 1.12. Replies: \\boxed{-1.2} (error 0.44) and no number at all.
    Strict: the error mean is over the one answered reply, 0.44, and the other is a failed
    extraction. OpenCompass: the missing number is 0, error |0 - 1.12| = 1.12; mean (0.44 + 1.12) / 2 = 0.78."""
    bench = registry.create("smolinstruct/pp-esol", {"protocol": "opencompass"})
    samples = list(bench.samples(fixture_data, 0, None))
    records = [graded(bench, samples[0], "\\boxed{-1.2}"),
               graded(bench, samples[1], "It dissolves well in water.")]
    assert records[0].scores["abs_error"] == pytest.approx(0.44)
    assert records[0].scores["squared_error"] == pytest.approx(0.44**2)
    assert records[1].scores["abs_error"] is None and records[1].extraction.startswith("failed")
    assert records[1].scores["oc_score"] == pytest.approx(1.12)
    result = bench.aggregate(records, 0)
    assert result.metrics["abs_error"].value == pytest.approx(0.44)
    assert result.metrics["oc_score"].value == pytest.approx(0.78)
    assert result.metrics["extraction_failure_rate"].value == pytest.approx(0.5)


def test_opencompass_takes_the_first_number_strict_the_last_marker(fixture_data):
    # Lipo gold 2.51; <NUMBER> 1.0 </NUMBER> first, then \boxed{2.5}: OpenCompass reads 1.0 (error
    # 1.51), our rule the last marker, 2.5 (error 0.01)
    record = grade("smolinstruct/pp-lipo", fixture_data, "first guess <NUMBER> 1.0 </NUMBER>\nfinal \\boxed{2.5}",
                   "opencompass")
    assert record.scores["abs_error"] == pytest.approx(0.01)
    assert record.scores["oc_score"] == pytest.approx(1.51)
    assert math.isclose(record.scores["squared_error"], 0.0001, rel_tol=1e-6)
    # two answers on one line are ambiguous to our rule: no answer; OpenCompass still takes the first
    record = grade("smolinstruct/pp-lipo", fixture_data, "<NUMBER> 1.0 </NUMBER> or \\boxed{2.5}", "opencompass")
    assert record.extraction.startswith("failed: ambiguous") and record.scores["oc_score"] == pytest.approx(1.51)


# -- yes / no: BBBP, ClinTox, HIV, SIDER ---------------------------------------------------------

@pytest.mark.parametrize(("reply", "strict", "oc"), [
    ("Yes", 1.0, 100.0),  # gold of the first BBBP row: Yes
    ("yes.", 1.0, 100.0),
    ("No", 0.0, 0.0),
    ("Final Answer: Yes", 1.0, 100.0),
    ("<BOOLEAN> Yes </BOOLEAN>", 1.0, 100.0),  # the data set's own answer tag
    # not one word: no strict answer; OpenCompass: the reply starts with "yes"
    ("Yes, nicotine crosses it readily.", 0.0, 100.0),
    # ends with "no": OpenCompass reads No; strictly there is no answer
    ("It is unclear, perhaps no", 0.0, 0.0),
    # "The answer is yes" pattern: OpenCompass Yes; ours: not a marker, the whole reply is no answer
    ("Having looked at it, the answer is yes because it is small and lipophilic", 0.0, 100.0),
])
def test_yes_no(fixture_data, reply, strict, oc):
    record = grade("smolinstruct/pp-bbbp", fixture_data, reply, "opencompass")
    assert record.scores["accuracy"] == strict
    assert record.scores["oc_score"] == oc


def test_opencompass_prompt_is_the_config_instruction(fixture_data):
    _, sample = first("smolinstruct/nc-i2f", fixture_data, "opencompass")
    text = sample.prompt_text
    assert text.startswith("You are an expert chemist. Given the IUPAC representation of compounds")
    assert "\n    The input contains the IUPAC representation" in text
    assert text.endswith("\nQuestion: What is the molecular formula of the compound with the IUPAC name "
                         "<IUPAC> ethanol </IUPAC>?\nAnswer: ")
    _bench, sample = first("smolinstruct/nc-i2f", fixture_data, "strict")
    assert sample.prompt_text == "What is the molecular formula of the compound with the IUPAC name <IUPAC> ethanol </IUPAC>?"
