"""PaRoutes mode reproduces PaRoutes' own expected values on its two test fixtures.

The expected numbers are those of PaRoutes' analysis/tests/tests_scripts.py (test_quality_analysis),
listed in ../shared/data/README.md; the run is a real CLI run replaying the planner's routes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from evalsuite.scorers import routes


def leaves(node):
    children = node.get("children") or []
    if not children:
        yield node
    for child in children:
        yield from leaves(child)


@pytest.fixture(scope="module")
def paroutes_run(paroutes_dir, tmp_path_factory):
    """Replay the planner's routes against the references; the stock is what flagged the leaves in_stock."""
    tmp = tmp_path_factory.mktemp("paroutes")
    references = json.loads((paroutes_dir / "ref-routes.json").read_text())
    predicted = json.loads((paroutes_dir / "routes.json").read_text())
    flags: dict[str, set] = {}
    for tree in references + [r for rs in predicted for r in rs]:
        for leaf in leaves(tree):
            flags.setdefault(routes.inchikey(leaf["smiles"]), set()).add(leaf.get("in_stock", True))
    assert all(len(v) == 1 for v in flags.values()), "a molecule flagged both in and out of stock"
    (tmp / "stock.txt").write_text("".join(f"{key}\n" for key, v in flags.items() if True in v))
    replay = tmp / "replay.jsonl"
    replay.write_text("".join(json.dumps({"id": f"{i:05d}", "prediction": rs}) + "\n" for i, rs in enumerate(predicted)))
    out = tmp / "run"
    done = subprocess.run(
        [sys.executable, "-m", "evalsuite.cli", "run", "--model", f"replay/{replay}", "--benchmark",
         "synthesis-planning", "--data", str(paroutes_dir / "ref-routes.json"), "--set", "ranking=paroutes",
         "--set", f"stock={tmp / 'stock.txt'}", "--out", str(out), "--no-progress"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ, EVALSUITE_CACHE=str(tmp / "cache")))
    assert done.returncode == 0, done.stderr
    samples = sorted((json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()),
                     key=lambda s: s["id"])
    result = json.loads((out / "results.json").read_text())["benchmarks"]["synthesis-planning"]
    return samples, result


def test_paroutes_mode_reproduces_paroutes_expected_values(paroutes_run):
    samples, result = paroutes_run
    column = lambda name: [s["scores"][name] for s in samples]  # noqa: E731
    metrics = result["metrics"]
    assert [round(metrics[f"route_top_{k}"]["value"], 2) for k in (1, 5, 10)] == [0.50, 1.00, 1.00]
    assert [bool(v) for v in column("stock_terminated")] == [True, True]  # PaRoutes' "solved target"
    assert [bool(v) for v in column("solved")] == [True, True]  # and every step passes the RDKit checks
    assert column("ref_longest_linear_route") == [3, 4]
    assert column("ref_n_leaves") == [4, 4]
    assert [round(v, 3) for v in column("leaf_overlap")] == [1.0, 0.857]
    # PaRoutes' other rank-1 values: max longest linear route [3, 2], min leaves [4, 3]
    assert column("longest_linear_route") == [3, 2]
    assert column("n_leaves") == [4, 3]
    assert result["ranking"] == "paroutes"


def test_model_order_differs_where_paroutes_reranks(paroutes_run, paroutes_dir):
    # in the planner's own order the second target's reference route is candidate 7: top-5 misses it
    predicted = json.loads((paroutes_dir / "routes.json").read_text())
    references = json.loads((paroutes_dir / "ref-routes.json").read_text())
    stock = routes.Stock({routes.inchikey(leaf["smiles"]): "" for tree in references + [r for rs in predicted for r in rs]
                          for leaf in leaves(tree) if leaf.get("in_stock")})
    ref, graded = routes.grade([{"route": routes.to_tree(r)} for r in predicted[1]], references[1],
                               references[1]["smiles"], stock)
    assert [g.rank for g in graded if g.exact] == [7]
    assert routes.target_metrics(graded, ref, "model")["route_top_5"] == 0.0
    assert routes.target_metrics(graded, ref, "paroutes")["route_top_5"] == 1.0


def test_a_paroutes_file_without_a_stock_is_refused(paroutes_dir):
    from evalsuite.benchmarks.synthesis_planning import SynthesisPlanning
    from evalsuite.core.errors import BenchmarkError

    with pytest.raises(BenchmarkError, match="--set stock=PATH"):
        list(SynthesisPlanning().samples(paroutes_dir / "ref-routes.json", 0, None))
