"""The synthesis-planning benchmark: embedded data checked by RDKit, oracle end to end, replies."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from evalsuite.benchmarks.synthesis_planning import SynthesisPlanning, _package_file
from evalsuite.core import registry
from evalsuite.core.errors import BenchmarkError
from evalsuite.core.types import Reply, SampleRecord
from evalsuite.engine import grading


def heavy_elements(smiles: str) -> set[str]:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    assert mol is not None, smiles
    return {a.GetSymbol() for a in mol.GetAtoms() if a.GetAtomicNum() > 1}


def inchikey(smiles: str) -> str:
    from rdkit import Chem

    return Chem.MolToInchiKey(Chem.MolFromSmiles(smiles))


@pytest.fixture(scope="module")
def bench():
    return SynthesisPlanning()


@pytest.fixture(scope="module")
def samples(bench):
    return list(bench.samples(None, 0, None))


def test_embedded_routes_conserve_elements_at_every_step_and_end_in_the_stock():
    entries = json.loads(_package_file("routes.json").read_text())
    stock = {}
    for line in _package_file("stock.tsv").read_text().splitlines()[1:]:
        if line and not line.startswith("#") and not line.startswith("smiles\t"):
            smiles, name = line.split("\t")
            assert name.strip(), f"stock entry {smiles} has no name"
            stock[inchikey(smiles)] = name
    assert len(stock) >= 250
    assert len(entries) >= 25 and len({e["id"] for e in entries}) == len(entries)
    for entry in entries:
        assert 2 <= len(entry["steps"]) <= 6 and entry["source"], entry["id"]
        made, used = set(), set()
        for step in entry["steps"]:
            reactants, _reagents, product = step.split(">")
            # the product's heavy-atom elements come from its reactants (reagents not needed here)
            supplied = set().union(*(heavy_elements(r) for r in reactants.split(".")))
            assert heavy_elements(product) <= supplied, (entry["id"], step)
            made.add(inchikey(product))
            used.update(inchikey(r) for r in reactants.split("."))
        for leaf in used - made:
            assert leaf in stock, (entry["id"], leaf)
        assert inchikey(entry["steps"][-1].split(">")[-1]) not in stock, f"{entry['id']}: target is purchasable"


def test_embedded_samples_are_grouped_by_length_and_topology(samples):
    assert len(samples) >= 25
    topologies = [s.metadata["topology"] for s in samples]
    assert topologies.count("convergent") * 3 >= len(samples)
    assert {s.metadata["ref_length"] for s in samples} >= {2, 3, 4, 6}
    ids = {s.id for s in samples}
    assert {"paracetamol", "ibuprofen-boots", "ibuprofen-bhc", "lidocaine", "sildenafil", "diazepam"} <= ids


def test_oracle_end_to_end_scores_one_on_solved_and_route_top_1(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "evalsuite.cli", "run", "--model", "oracle", "--benchmark", "synthesis-planning",
         "--out", str(tmp_path / "run"), "--no-progress"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, EVALSUITE_CACHE=str(tmp_path / "c")))
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "run" / "results.json").read_text())["benchmarks"]["synthesis-planning"]
    assert result["n"] >= 25
    for name in ("solved", "route_top_1", "route_prefix_top_1", "step_validity", "route_validity"):
        assert result["metrics"][name]["value"] == 1.0, name
        assert result["metrics"][name]["ci95"][1] == 1.0
    assert result["metrics"]["length_difference"]["value"] == 0.0
    assert set(result["groups"]) == {"ref_length", "topology"}
    assert result["groups"]["topology"]["convergent"]["metrics"]["solved"]["value"] == 1.0
    assert result["higher_is_better"]["solved"] is True and result["higher_is_better"]["n_steps"] is None
    baselines = result["baselines"]
    assert baselines["target as its own leaf"]["solved"] == 0.0  # no embedded target is in the stock
    assert baselines["reference with one leaf swapped"]["solved"] == 0.0
    assert baselines["reference with one leaf swapped"]["route_top_1"] == 0.0
    declared = registry.create("synthesis-planning").metric_set()
    assert all(name in declared for name in result["metrics"])


def score(bench, sample, text):
    prediction, score = grading.grade(bench, sample, Reply(text=text))
    return prediction, score


def sample_of(samples, sample_id):
    return next(s for s in samples if s.id == sample_id)


def test_extraction_reads_the_last_answer_in_any_format(bench, samples):
    sample = sample_of(samples, "paracetamol")
    steps = json.loads(bench.oracle_response(sample).split("<answer>")[1].split("</answer>")[0])["routes"][0]
    wrong = {"smiles": sample.metadata["target_smiles"], "children": [{"smiles": "CC(=O)Cl"}, {"smiles": "Nc1ccc(O)cc1"}]}
    reply = (f"Draft: <answer>{json.dumps({'routes': [wrong]})}</answer> On reflection the nitrophenol route is better."
             f"\nFinal answer:\n<answer>{json.dumps([['not>>a route at all'], steps])}</answer>")
    prediction, result = score(bench, sample, reply)
    assert prediction.stage == "answer-tag" and len(prediction.value) == 2
    assert "invalid" in prediction.value[0]
    assert result.values["solved"] == 1.0 and result.values["solved_top_1"] == 0.0
    assert result.values["mrr_solved"] == 0.5 and result.values["route_top_1"] == 1.0
    # a bare step list after "Final Answer:" is one route
    published = ["Oc1ccccc1.O=[N+]([O-])O>>O=[N+]([O-])c1ccc(O)cc1", "O=[N+]([O-])c1ccc(O)cc1.[H][H]>>Nc1ccc(O)cc1",
                 "Nc1ccc(O)cc1.CC(=O)OC(C)=O>>CC(=O)Nc1ccc(O)cc1"]
    prediction, result = score(bench, sample, "Final Answer: " + json.dumps(published))
    assert prediction.stage == "final-answer" and result.values["route_top_1"] == 1.0
    # the last two steps alone start from 4-nitrophenol: solved (it is purchasable) but not the reference
    prediction, result = score(bench, sample, "Final Answer: " + json.dumps(published[1:]))
    assert result.values["solved"] == 1.0 and result.values["route_top_1"] == 0.0
    assert result.values["route_prefix_top_1"] == 0.0 and result.values["length_difference"] == -1.0


HOSTILE = {
    "random bytes": bytes(random.Random(3).randrange(256) for _ in range(20_000)).decode("latin-1"),
    "1 MB": "{" * 1_000_000,
    "200-step route": json.dumps({"routes": [[f"{'C' * (i + 1)}O>>{'C' * (i + 2)}O" for i in range(200)]]}),
    "200-deep tree": json.dumps({"routes": [json.loads("{\"smiles\": \"CO\"" + ", \"children\": [{\"smiles\": \"CCO\"" * 200
                                                       + "}]" * 200 + "}")]}),
    "5,000-atom SMILES": json.dumps({"routes": [["C" * 5000 + ">>CC(=O)Nc1ccc(O)cc1"]]}),
    "refusal": "I'm sorry, I cannot help with planning this synthesis.",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_replies_are_scored_invalid_with_a_reason(bench, samples, kind):
    sample = sample_of(samples, "paracetamol")
    prediction, result = score(bench, sample, HOSTILE[kind])
    assert result.values["solved"] == 0.0 and result.values["route_top_1"] == 0.0
    reason = (prediction.failure or "") + " " + (result.reason or "") + json.dumps(prediction.value)
    expected = {"random bytes": "no JSON", "1 MB": "longer than", "200-step route": "more than 100 steps",
                "200-deep tree": "deeper than 10", "5,000-atom SMILES": "longer than 2000", "refusal": "refusal"}
    assert expected[kind] in reason


def test_structured_replay_and_options(bench, samples):
    sample = sample_of(samples, "lidocaine")
    prediction, result = grading.grade(bench, sample, Reply(text=None, prediction=[sample.target]))
    assert prediction.stage == "structured" and result.values["route_top_1"] == 1.0
    with pytest.raises(BenchmarkError, match="ranking"):
        SynthesisPlanning({"ranking": "cheapest"})
    with pytest.raises(BenchmarkError, match="stock_match"):
        SynthesisPlanning({"stock_match": "inchi"})
    with pytest.raises(BenchmarkError, match="cannot read stock"):
        list(SynthesisPlanning({"stock": "/nonexistent/stock.txt"}).samples(None, 0, 1))


def test_a_user_stock_of_inchikeys_and_smiles_is_read(tmp_path, samples):
    sample = sample_of(samples, "propranolol")
    leaves = ["Oc1cccc2ccccc12", "ClCC1CO1", "CC(C)N"]
    path = Path(tmp_path / "stock.txt")
    path.write_text("# my stock\nsmiles\n" + f"{inchikey(leaves[0])}\n{leaves[1]} epichlorohydrin\n")
    bench = SynthesisPlanning({"stock": str(path)})
    _, result = grading.grade(bench, sample, Reply(text=None, prediction=[sample.target]))
    assert result.values["solved"] == 0.0 and "CC(C)N" in (result.reason or "")
    path.write_text(path.read_text() + f"{leaves[2]}\tisopropylamine\n")
    _, result = grading.grade(SynthesisPlanning({"stock": str(path)}), sample, Reply(text=None, prediction=[sample.target]))
    assert result.values["solved"] == 1.0


def test_a_failed_reply_scores_zero_not_missing(bench, samples):
    sample = sample_of(samples, "aspirin")
    prediction, result = score(bench, sample, "")
    record = SampleRecord("synthesis-planning", sample.id, [], "", None, sample.target, result.values,
                          prediction.extraction_label, None, result.reason, sample.metadata)
    aggregated = bench.aggregate([record], seed=0)
    assert aggregated.metrics["solved"].value == 0.0 and aggregated.metrics["extraction_failure_rate"].value == 1.0
    assert result.values["ref_longest_linear_route"] == 2.0
