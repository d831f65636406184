"""hte-conditions on the real HTE files and on a tiny hand-made menu."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict

import pytest

from evalsuite.benchmarks.hte_conditions import FAMILY, BuchwaldHartwig, SuzukiMiyaura
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.engine.grading import graded
from evalsuite.files.results import declared
from evalsuite.scorers.chemistry import canonical_smiles

XPHOS = "CC(C)C(C=C(C(C)C)C=C1C(C)C)=C1C2=C(P(C3CCCCC3)C4CCCCC4)C=CC=C2"
TBUXPHOS = "CC(C)C(C=C(C(C)C)C=C1C(C)C)=C1C2=C(P(C(C)(C)C)C(C)(C)C)C=CC=C2"
BTMG = "CC(C)(C)/N=C(N(C)C)/N(C)C"
MTBD = "CN1CCCN2C1=NCCC2"




@pytest.fixture(scope="module")
def suzuki(shared_data):
    bench = SuzukiMiyaura()
    return bench, list(bench.samples(shared_data / "hte" / "suzuki_miyaura.csv", 0, None))


@pytest.fixture(scope="module")
def buchwald(shared_data):
    bench = BuchwaldHartwig()
    return bench, list(bench.samples(shared_data / "hte" / "buchwald_hartwig.csv", 0, None))


def test_family_members():
    assert FAMILY.name == "hte-conditions"
    assert set(FAMILY.members) == {"suzuki-miyaura", "buchwald-hartwig"}


def test_suzuki_items_are_15_pairs_with_384_conditions(suzuki):
    _, samples = suzuki
    assert len(samples) == 15
    assert all(len(s.target["yields"]) == 384 for s in samples)
    menu = samples[0].metadata["menu"]
    assert (len(menu["ligand"]), len(menu["base"]), len(menu["solvent"])) == (12, 8, 4)
    # an empty ligand / base cell of the file is the option "none"
    assert "none" in menu["ligand"].values() and "none" in menu["base"].values()
    assert "384 combinations were run" in samples[0].prompt_text


def test_buchwald_items_and_missing_cells(buchwald):
    _, samples = buchwald
    assert len(samples) == 15 * 22
    sizes = Counter(s.metadata["menu_size"] for s in samples)
    assert sizes == {12: 325, 11: 5}  # 3955 = 325 * 12 + 5 * 11
    short = next(s for s in samples if s.metadata["menu_size"] == 11)
    assert "not on the menu" in short.prompt_text


@pytest.mark.parametrize("which", ["suzuki", "buchwald"])
def test_oracle_hits_the_best_condition_on_every_item(which, request):
    bench, samples = request.getfixturevalue(which)
    records = [graded(bench, s, bench.oracle_response(s)) for s in samples]
    assert all(r.scores["top1_hit"] == 1.0 and r.scores["regret"] == 0.0 for r in records)
    result = declared(bench, bench.aggregate(records, seed=0))
    assert result.metrics["top1_hit"].value == 1.0
    assert result.higher_is_better["regret"] is False and result.headline == "normalised_yield"
    assert set(result.baselines) >= {"random-choice (exact)", "best-global-condition"}


def test_suzuki_baselines_against_the_file_read_independently(shared_data, suzuki):
    # Recompute from the raw CSV with plain csv: random top-1 = mean over pairs of (#best / 384),
    # random yield = mean yield of all rows; the best global condition by mean yield per
    # (ligand, base, solvent) with the V2 solvents at the plate positions of MeOH and THF.
    per_pair = defaultdict(list)
    per_condition = defaultdict(list)
    position = {"MeOH/H2O_V2 9:1": "MeOH", "THF_V2": "THF"}
    for row in csv.DictReader((shared_data / "hte" / "suzuki_miyaura.csv").open()):
        y = float(row["Product_Yield_PCT_Area_UV"])
        per_pair[(row["Reactant_1_Name"], row["Reactant_2_Name"])].append(y)
        solvent = position.get(row["Solvent_1_Short_Hand"], row["Solvent_1_Short_Hand"])
        key = (row["Ligand_Short_Hand"].strip() or "none", row["Reagent_1_Short_Hand"].strip() or "none", solvent)
        per_condition[key].append(y)
    top1 = sum(ys.count(max(ys)) / len(ys) for ys in per_pair.values()) / len(per_pair)
    mean_yield = sum(sum(ys) for ys in per_pair.values()) / 5760
    best_key = max(per_condition, key=lambda k: sum(per_condition[k]) / len(per_condition[k]))

    bench, samples = suzuki
    records = [graded(bench, s, "Final Answer: L1-B1-S1") for s in samples]
    result = declared(bench, bench.aggregate(records, seed=0))
    random_row = result.baselines["random-choice (exact)"]
    assert random_row["top1_hit"] == pytest.approx(top1)
    assert random_row["yield"] == pytest.approx(mean_yield)
    assert random_row["percentile"] == pytest.approx(0.5)
    assert result.extra["best_global_condition"]["names"] == ", ".join(best_key)


def test_off_menu_garbage_and_empty_replies_have_reasons(suzuki, buchwald):
    bench, samples = suzuki
    sample = samples[0]
    cases = {
        "": "empty reply",
        "I'm sorry, but I cannot help with that.": "refusal",
        "Final Answer: L13-B1-S1": "ligand L13 does not exist",
        "Final Answer: Pd(PPh3)4, Cs2CO3, 1,4-dioxane": "not on the menu",
        '{"ligand": "BINAP", "base": "B1", "solvent": "S1"}': "ligand 'BINAP' is not an option",
        "<think>still thinking": "truncated",  # an unclosed think block: cut off before the answer
        "]]]{{{ garbage": "not on the menu",
    }
    for reply, reason in cases.items():
        rec = graded(bench, sample, reply)
        assert rec.scores["top1_hit"] == 0.0 and rec.scores["normalised_yield"] == 0.0, reply
        assert rec.scores["regret"] == pytest.approx(sample.target["best_yield"])
        assert reason in (rec.reason or ""), (reply, rec.reason)
    bh, bh_samples = buchwald
    short = next(s for s in bh_samples if s.metadata["menu_size"] == 11)
    missing = next(code for code in ("L1-B1", "L1-B2", "L1-B3", "L2-B1", "L2-B2", "L2-B3", "L3-B1", "L3-B2",
                                     "L3-B3", "L4-B1", "L4-B2", "L4-B3") if code not in short.target["yields"])
    rec = graded(bh, short, f"Final Answer: {missing}")
    assert "was not measured" in rec.reason and rec.scores["top1_hit"] == 0.0


def test_replies_by_name_label_and_json_agree(suzuki):
    bench, samples = suzuki
    sample = samples[0]
    menu = sample.metadata["menu"]
    label = {factor: {name: lab for lab, name in options.items()} for factor, options in menu.items()}
    code = f"{label['ligand']['SPhos']}-{label['base']['K3PO4']}-{label['solvent']['MeOH']}"
    by_code = graded(bench, sample, f"Final Answer: {code}")
    by_name = graded(bench, sample, "Final Answer: SPhos, K3PO4, MeOH")
    by_json = graded(bench, sample, '[{"ligand": "SPhos", "base": "K3PO4", "solvent": "MeOH"}]')
    assert by_code.prediction == by_name.prediction == by_json.prediction == [code]
    assert by_code.scores == by_name.scores


def tiny_buchwald(tmp_path):
    # one aryl halide, one additive; 2 ligands x 2 bases with one cell not run:
    #   XPhos+BTMG 20, XPhos+MTBD 60, t-BuXPhos+BTMG 60, t-BuXPhos+MTBD not measured
    path = tmp_path / "bh.csv"
    rows = [(XPHOS, BTMG, "20"), (XPHOS, MTBD, "60"), (TBUXPHOS, BTMG, "60"), (TBUXPHOS, MTBD, "")]
    lines = ["Ligand,Additive,Base,Aryl halide,Output"]
    lines += [f"{lig},CC1=CC=NO1,{base},BrC1=CC=C(OC)C=C1,{y}" for lig, base, y in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tiny_hand_made_menu_through_the_benchmark(tmp_path):
    bench = BuchwaldHartwig({"k": "2"})
    [sample] = list(bench.samples(tiny_buchwald(tmp_path), 0, None))
    # labels: ligands XPhos=L1, t-BuXPhos=L2 (alphabetical); bases BTMG=B1, MTBD=B2
    assert sample.target["yields"] == {"L1-B1": 20.0, "L1-B2": 60.0, "L2-B1": 60.0}
    assert sample.target["best"] == ["L1-B2", "L2-B1"]  # a tie: both are best
    assert sample.id.startswith("bh-4-MeO-phenyl-Br-")
    # the amination product, N-(4-methoxyphenyl)-p-toluidine, written by hand
    product = next(line for line in sample.prompt_text.splitlines() if line.startswith("Product: "))
    assert canonical_smiles(product.split(": ", 1)[1]).smiles == canonical_smiles("Cc1ccc(Nc2ccc(OC)cc2)cc1").smiles
    worst = graded(bench, sample, "Final Answer:\nL1-B1\nL2-B1")
    assert worst.scores["top1_hit"] == 0.0 and worst.scores["top2_hit"] == 1.0
    assert worst.scores["normalised_yield"] == pytest.approx(20 / 60)
    assert worst.scores["regret"] == pytest.approx(40.0)
    assert worst.scores["percentile"] == pytest.approx(0.0)
    tied = graded(bench, sample, "Final Answer: t-BuXPhos with BTMG")
    # L2-B1: 1 option below (20), tied with L1-B2 -> (1 + 1/2) / 2
    assert tied.scores["top1_hit"] == 1.0 and tied.scores["percentile"] == pytest.approx(0.75)
    off = graded(bench, sample, "Final Answer: L2-B2")
    assert "was not measured" in off.reason
    oracle = graded(bench, sample, bench.oracle_response(sample))
    assert oracle.prediction[0] == "L1-B2"  # ties in menu order
    result = bench.aggregate([worst], seed=0)
    random_row = result.baselines["random-choice (exact)"]
    assert random_row["top1_hit"] == pytest.approx(2 / 3)
    assert random_row["top2_hit"] == pytest.approx(1.0)  # any 2 of 3 include a best one
    assert random_row["yield"] == pytest.approx(140 / 3)


def test_broken_hte_rows_raise_data_error(tmp_path):
    path = tmp_path / "bh.csv"
    path.write_text(f"Ligand,Additive,Base,Aryl halide,Output\n{XPHOS},CC1=CC=NO1,{BTMG},BrC1=CC=C(OC)C=C1,high\n")
    with pytest.raises(DataError) as err:
        list(BuchwaldHartwig().samples(path, 0, None))
    assert err.value.line == 2 and "not a number" in str(err.value)
    with pytest.raises(DataError, match="missing column"):
        list(SuzukiMiyaura().samples(path, 0, None))


def test_no_data_names_the_pull_command(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(BenchmarkError, match="evalsuite data pull hte-suzuki-miyaura"):
        list(SuzukiMiyaura().samples(None, 0, None))
    with pytest.raises(BenchmarkError, match="evalsuite data pull hte-buchwald-hartwig"):
        list(BuchwaldHartwig().samples(None, 0, None))


def test_data_folder_serves_both_members(shared_data):
    folder = shared_data / "hte"
    assert len(list(SuzukiMiyaura().samples(folder, 0, 2))) == 2
    assert len(list(BuchwaldHartwig().samples(folder, 0, 2))) == 2
