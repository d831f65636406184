"""Retrosynthesis and forward synthesis: prompts, extraction, ranked scoring, data, aggregation."""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter

import pytest

from evalsuite.benchmarks.synthesis import ForwardSynthesis, Retrosynthesis
from evalsuite.benchmarks.synthesis.common import embedded_path
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.types import Sample
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared
from evalsuite.scorers import chemistry

USPTO_SLICE = 300


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """No pulled data set unless a test pulls one: the default is then the embedded set."""
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))


def retro_sample(target: str, product: str = "CC(=O)OCC") -> Sample:
    return Sample("t", [{"role": "user", "content": "?"}], target, {"reaction_class": 1, "product": product})


def retro_score(reply: str, target: str = "CC(=O)O.CCO", **options):
    bench = Retrosynthesis({k: str(v) for k, v in options.items()})
    sample = retro_sample(target)
    prediction = bench.extract(reply, sample)
    return prediction, bench.score(prediction, sample)


# -- extraction ---------------------------------------------------------------------------

def test_extraction_accepts_json_numbered_and_final_answer_lines_in_rank_order():
    replies = {
        "json": 'Thinking...\n["CCO.CC(=O)Cl", ["CCO", "CC(=O)O"]]',
        "numbered-list": "Candidates:\n1. CCO.CC(=O)Cl (acid chloride)\n2) **CCO + CC(=O)O**\n",
        "final-answer": "Final Answer: CCO.CC(=O)Cl\nFinal Answer: CCO.CC(=O)O",
    }
    for stage, reply in replies.items():
        prediction, score = retro_score(reply)
        assert prediction.stage == stage
        assert [chemistry.canonical_smiles(c).smiles for c in prediction.value] == [
            "CC(=O)Cl.CCO", "CC(=O)O.CCO"
        ]
        assert score.values["top_1"] == 0.0 and score.values["top_3"] == 1.0, stage


def test_final_answer_followed_by_a_list_and_answer_tags():
    prediction, _ = retro_score("Final Answer:\n1. CCO.CC(=O)O\n2. CCO.CC(=O)Cl")
    assert prediction.value == ["CCO.CC(=O)O", "CCO.CC(=O)Cl"]
    prediction, _ = retro_score("<think>maybe [1]</think><answer>CCO.CC(=O)O</answer>")
    assert prediction.value == ["CCO.CC(=O)O"]


def test_correct_answer_at_rank_three_counts_for_top3_not_top1():
    reply = json.dumps(["CCO.CC(=O)Cl", "CCO.CC(=O)OC(C)=O", "OCC.OC(C)=O", "C"])
    _, score = retro_score(reply)
    assert score.values["top_1"] == 0.0
    assert score.values["top_3"] == score.values["top_5"] == score.values["top_10"] == 1.0
    assert "correct at rank 3" in score.reason and score.reason.startswith("[exact]")


def test_duplicates_do_not_push_the_correct_answer_out_of_top_k():
    # Rank 2 and 3 repeat rank 1 (same molecules, other atom order), so the gold set, written
    # fourth, is the second distinct candidate: inside the top 3.
    reply = json.dumps(["CCO.CC(=O)Cl", "OCC.ClC(C)=O", "ClC(=O)C.CCO", "CC(=O)O.CCO"])
    _, score = retro_score(reply, k=3)
    assert score.values["top_1"] == 0.0 and score.values["top_3"] == 1.0
    assert "top_5" not in score.values  # only top-n with n <= k are reported
    assert "rank 2" in score.reason


def test_invalid_candidates_keep_their_rank():
    reply = json.dumps(["C1CC(", "X", "CC(=O)O.CCO"])
    _, score = retro_score(reply)
    assert score.values["top_1"] == 0.0 and score.values["top_3"] == 1.0
    assert score.values["invalid"] == 1.0
    assert score.values["valid"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "reply, reason",
    [
        ('["CC(=O)O"]', "missing CCO"),  # the alcohol is missing
        ('["CC(=O)O.CCO.OS(=O)(=O)O"]', "extra O=S(=O)(O)O"),  # sulfuric acid is a reagent
        ('["CC(=O)O.CC1O"]', "invalid SMILES"),  # an unclosed ring bond
    ],
)
def test_wrong_answers_have_the_right_reason(reply, reason):
    _, score = retro_score(reply)
    assert score.values["top_1"] == 0.0 and score.values["top_10"] == 0.0
    assert reason in score.reason


def test_stereo_and_tautomer_cases_follow_the_match_mode():
    target = "C[C@H](N)O.O=c1cccc[nH]1"
    reply = '["C[C@@H](N)O.O=c1cccc[nH]1"]'  # the other enantiomer
    assert retro_score(reply, target, match_mode="exact")[1].values["top_1"] == 0.0
    assert retro_score(reply, target, match_mode="no-stereo")[1].values["top_1"] == 1.0
    reply = '["C[C@H](N)O.Oc1ccccn1"]'  # the hydroxypyridine tautomer
    assert retro_score(reply, target, match_mode="no-stereo")[1].values["top_1"] == 0.0
    _, score = retro_score(reply, target, match_mode="inchikey")
    assert score.values["top_1"] == 1.0 and score.reason.startswith("[inchikey]")


def test_similarity_is_never_accuracy():
    # Propanoic acid instead of acetic acid: similar, wrong.
    _, score = retro_score('["CCC(=O)O.CCO"]')
    assert score.values["top_1"] == 0.0
    assert 0.0 < score.values["tanimoto_top1"] < 1.0


@pytest.mark.parametrize(
    "reply, reason",
    [
        (None, "empty reply"),
        ("", "empty reply"),
        ("x" * 1_000_000, "reply longer than"),
        ('["' + "C" * 5000 + '"]', "longer than 2000"),
        ("I'm sorry, I cannot help with that.", "refusal"),
    ],
)
def test_pathological_replies_are_scored_fast_with_a_reason(reply, reason):
    start = time.perf_counter()
    prediction, score = retro_score(reply)
    assert time.perf_counter() - start < 1.0
    assert score.values["top_1"] == 0.0
    assert reason in (prediction.failure or "") + (score.reason or "")


def test_random_bytes_are_scored_fast_and_wrong():
    rng = random.Random(7)
    for _ in range(5):
        reply = bytes(rng.randrange(256) for _ in range(5000)).decode("latin-1")
        start = time.perf_counter()
        _, score = retro_score(reply)
        assert time.perf_counter() - start < 1.0
        assert score.values["top_1"] == 0.0 and score.reason


def test_from_structured_validates_the_list():
    bench, sample = Retrosynthesis(), retro_sample("CC(=O)O.CCO")
    assert bench.score(bench.from_structured(["CCO.CC(=O)O"], sample), sample).values["top_1"] == 1.0
    assert not bench.from_structured({"a": 1}, sample).ok


def test_options_are_validated():
    with pytest.raises(BenchmarkError, match="match_mode"):
        Retrosynthesis({"match_mode": "fuzzy"})
    with pytest.raises(BenchmarkError, match="k must be"):
        Retrosynthesis({"k": "0"})
    with pytest.raises(BenchmarkError, match="not in the data cache"):
        list(Retrosynthesis({"source": "uspto50k"}).samples(None, 0, 1))


# -- embedded data ------------------------------------------------------------------------

def elements(smiles: str) -> Counter:
    """Atom counts of a molecule set, hydrogens included (RDKit only reads the SMILES here)."""
    from rdkit import Chem

    counts: Counter = Counter()
    for atom in Chem.MolFromSmiles(smiles).GetAtoms():
        counts[atom.GetSymbol()] += 1
        counts["H"] += atom.GetTotalNumHs()
    return counts


# By-products (and extra inputs) of each reaction type, from the textbook equations:
# reactants + consumed = product + released.
BALANCE = {
    "amide coupling": ("", "O"),  # RCOOH + R'NH2 -> RCONHR' + H2O
    "acylation": ("", "Cl"),  # RCOCl + NuH -> RCONu + HCl
    "esterification": ("", "O"),  # RCOOH + R'OH -> RCOOR' + H2O
    "Suzuki coupling": ("", "OB(O)X"),  # ArX + Ar'B(OH)2 -> ArAr' + XB(OH)2
    "Boc protection": ("", "CC(C)(C)O.O=C=O"),  # RNH2 + Boc2O -> RNHBoc + tBuOH + CO2
    "Boc deprotection": ("", "C=C(C)C.O=C=O"),  # RNHBoc -> RNH2 + isobutene + CO2
    "reductive amination": ("[H][H]", "O"),  # C=O + HNR2 + H2 -> CH-NR2 + H2O
    "SN2 alkylation": ("", "X"),  # NuH + RX -> NuR + HX
    "ester hydrolysis": ("O", "R"),  # RCOOR' + H2O -> RCOOH + R'OH
    "nitro reduction": ("[H][H].[H][H].[H][H]", "O.O"),  # ArNO2 + 3 H2 -> ArNH2 + 2 H2O
}
SPECIAL = {"ester-04": ("", "CC(=O)O")}  # acetic anhydride releases acetic acid, not HCl


def test_embedded_reactions_are_balanced_by_their_textbook_equation():
    import csv

    with open(embedded_path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 30 and len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        consumed, released = SPECIAL.get(row["id"], BALANCE[row["reaction_class"]])
        left = elements(row["reactants"]) + (elements(consumed) if consumed else Counter())
        right = elements(row["product"])
        for part in released.split("."):
            if part == "X":  # the leaving halide of this row, as HX
                halide = next(h for h in ("Br", "I", "Cl") if h in elements(row["reactants"]))
                part = f"[H]{halide}" if row["reaction_class"] == "SN2 alkylation" else f"OB(O){halide}"
            elif part == "OB(O)X":
                halide = next(h for h in ("Br", "I") if h in elements(row["reactants"]))
                part = f"OB(O){halide}"
            elif part == "R":  # the alcohol of the ester
                part = "CO" if row["reactants"].startswith("COC") else "CCO"
            right += elements(part)
        assert left == right, row["id"]


def test_embedded_default_runs_offline_with_oracle_in_every_mode():
    for cls in (Retrosynthesis, ForwardSynthesis):
        for mode in chemistry.MATCH_MODES:
            bench = cls({"match_mode": mode})
            samples = list(bench.samples(None, 0, None))
            assert len(samples) >= 30 and {s.metadata["source"] for s in samples} == {"embedded"}
            records = [graded(bench, sample, bench.oracle_response(sample)) for sample in samples]
            result = declared(bench, bench.aggregate(records, seed=0))
            assert result.metrics[bench.headline].value == 1.0, (cls.name, mode)
            assert result.extra["match_mode"] == mode
            assert result.extra["molecule_fields"] == ["target", "prediction"]
            assert set(result.higher_is_better) == set(result.metrics)
            assert result.higher_is_better["invalid"] is False
            assert "amide coupling" in result.groups["reaction_class"]
            json.dumps(result.to_dict())


def test_retrosynthesis_baseline_shows_tanimoto_is_not_accuracy():
    bench = Retrosynthesis()
    samples = list(bench.samples(None, 0, None))
    records = [graded(bench, s, "I could not find an answer.") for s in samples]
    result = bench.aggregate(records, seed=0)
    echo = result.baselines["echo product"]
    assert echo["top_1"] == 0.0 and 0.1 < echo["tanimoto_top1"] < 1.0
    assert result.metrics["top_1"].value == 0.0
    assert result.metrics["extraction_failure_rate"].value == 1.0


def test_forward_synthesis_scores_product_and_reasons():
    bench = ForwardSynthesis()
    sample = next(s for s in bench.samples(None, 0, None) if s.id == "ester-01")
    assert "CC(=O)O.CCO" in sample.prompt_text and "Reagents: O=S(=O)(O)O" in sample.prompt_text
    cases = {
        "Final Answer: CCOC(C)=O": 1.0,  # ethyl acetate
        "The product is \\boxed{O=C(C)OCC}.": 1.0,
        '{"product": "CCOC(C)=O"}': 1.0,
        "Final Answer: CCOC(C)=O.O": 0.0,  # water is not part of the product
        "Final Answer: CCCC(=O)O": 0.0,  # butanoic acid, an isomer of ethyl acetate
    }
    for reply, expected in cases.items():
        score = bench.score(bench.extract(reply, sample), sample)
        assert score.values["accuracy"] == expected, reply
    score = bench.score(bench.extract("Final Answer: CCOC(C)=O.O", sample), sample)
    assert "extra O" in score.reason
    score = bench.score(bench.extract("I think it forms an ester", sample), sample)
    assert score.values["accuracy"] == 0.0 and "no answer" in score.reason


# -- USPTO-50K ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def uspto_samples(shared_data):
    return list(Retrosynthesis().samples(shared_data / "uspto50k" / "test.csv", 0, None))


def test_uspto_ids_are_unique_stable_and_documented(uspto_samples, shared_data):
    assert len(uspto_samples) == 5007
    assert len({s.id for s in uspto_samples}) == 5007
    # Row 0 of the file is patent US07928231B2, class 5 (a Boc protection).
    first = uspto_samples[0]
    assert first.id == "00000-US07928231B2" and first.metadata["reaction_class"] == 5
    assert ":" not in first.target and ":" not in first.metadata["product"]
    assert first.metadata["product"] in first.messages[0]["content"]
    again = next(Retrosynthesis().samples(shared_data / "uspto50k" / "test.csv", 0, 1))
    assert again == first
    assert Counter(s.metadata["reaction_class"] for s in uspto_samples).keys() == set(range(1, 11))


def test_uspto_with_class_adds_the_class_to_the_prompt(shared_data):
    sample = next(Retrosynthesis({"with_class": "true"}).samples(shared_data / "uspto50k" / "test.csv", 0, 1))
    assert "Reaction class: 5 (protections)" in sample.prompt_text


def test_uspto_slice_oracle_scores_one_in_every_mode(uspto_samples):
    for mode in chemistry.MATCH_MODES:
        bench = Retrosynthesis({"match_mode": mode})
        for sample in uspto_samples[:USPTO_SLICE]:
            score = bench.score(bench.extract(bench.oracle_response(sample), sample), sample)
            assert score.values["top_1"] == 1.0, (mode, sample.id, score.reason)


def test_uspto_slice_keys_survive_the_round_trip_from_atom_mapped_text(shared_data):
    # The oracle replies with the canonical target; this checks the key of that text equals
    # the key of the file's atom-mapped reactants in every mode, without any shortcut.
    import csv

    with open(shared_data / "uspto50k" / "test.csv", newline="") as handle:
        rows = list(csv.reader(handle))[1 : USPTO_SLICE + 1]
    for row in rows:
        mapped = row[2].split(">")[0]
        canonical = chemistry.parse(mapped).smiles
        for mode in chemistry.MATCH_MODES:
            a = chemistry.match_key(chemistry.parse(mapped), mode)
            b = chemistry.match_key(chemistry.parse(canonical), mode)
            assert a.ok and a.items == b.items, (row[0], mode)


def test_broken_rows_raise_data_error_naming_file_and_line(tmp_path):
    header = "id,class,reactants>reagents>production\n"
    good = "US1,1,CCO.CC(=O)O>>CCOC(C)=O\n"
    cases = {
        "no_arrow.csv": (good + "US2,1,CCOCC\n", 3, "reactants>reagents>product"),
        "bad_class.csv": (good + "US2,x,CCO>>CC\n", 3, "class must be an integer"),
        "bad_smiles.csv": (good + "US2,1,C1CC>>CC\n", 3, "reactants: invalid SMILES"),
        "fields.csv": (good + "US2,1\n", 3, "2 fields"),
    }
    for name, (body, line, problem) in cases.items():
        path = tmp_path / name
        path.write_text(header + body)
        with pytest.raises(DataError) as info:
            list(Retrosynthesis().samples(path, 0, None))
        assert info.value.line == line and problem in info.value.problem, name
        assert str(path) in str(info.value)
    path = tmp_path / "header.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="unknown header"):
        list(ForwardSynthesis().samples(path, 0, None))


def test_pulled_uspto_becomes_the_default(tmp_path, shared_data):
    from evalsuite.core import datasets

    target = datasets.data_dir() / datasets.DATASETS["uspto50k"].filename
    target.parent.mkdir(parents=True)
    os.symlink(shared_data / "uspto50k" / "test.csv", target)  # stands in for a pulled file
    sample = next(Retrosynthesis().samples(None, 0, 1))
    assert sample.id == "00000-US07928231B2" and sample.metadata["source"] == "uspto50k"
    assert next(Retrosynthesis({"source": "embedded"}).samples(None, 0, 1)).metadata["source"] == "embedded"


def test_uspto_slice_targets_match_when_written_another_way(uspto_samples):
    # A model may write the right molecules in any atom order: a random (seeded) SMILES of
    # each gold set must get the same key in every mode.
    from rdkit import Chem

    for sample in uspto_samples[:USPTO_SLICE]:
        mol = Chem.MolFromSmiles(sample.target)
        rewritten = Chem.MolToSmiles(mol, doRandom=True, canonical=False)
        for mode in chemistry.MATCH_MODES:
            assert chemistry.same_molecules(rewritten, sample.target, mode), (sample.id, mode, rewritten)


def test_ring_stereo_from_atom_mapped_text_matches_the_plain_molecule():
    # cis-3-substituted cyclobutyl (row US20020156081A1): the two ring carbons are stereocentres
    # only relative to each other. Written atom-mapped or plain, it is the same molecule.
    mapped = "[CH3:1][O:2][C@H:3]1[CH2:4][C@@H:5]([NH2:6])[CH2:7]1"
    plain = "CO[C@H]1C[C@@H](N)C1"
    assert chemistry.parse(mapped).smiles == chemistry.parse(plain).smiles
    # ... and the trans isomer stays different.
    assert not chemistry.same_molecules(mapped, "CO[C@H]1C[C@H](N)C1")


@pytest.mark.parametrize(
    "reply, reason",
    [
        ("", "empty reply"),
        ("Final Answer: " + "x" * 1_000_000, "reply longer than"),
        ("Final Answer: " + "C" * 5000, "longer than 2000"),  # a 5,000-atom chain
        ("Final Answer: \x00\x9f\x13(((", "invalid SMILES"),
    ],
)
def test_forward_pathological_replies_are_scored_fast_with_a_reason(reply, reason):
    bench = ForwardSynthesis()
    sample = next(bench.samples(None, 0, 1))
    start = time.perf_counter()
    prediction = bench.extract(reply, sample)
    score = bench.score(prediction, sample)
    assert time.perf_counter() - start < 1.0
    assert score.values["accuracy"] == 0.0
    assert reason in (prediction.failure or "") + (score.reason or "")
