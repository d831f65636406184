"""The rendered page without a browser: escaping, metadata, CSP, charts, molecules, frames."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from jinja2 import StrictUndefined, UndefinedError

from evalsuite import load_results, load_run
from evalsuite.files.frames import RunError
from evalsuite.reports import charts, molecules, write_report
from evalsuite.reports.render import environment


@pytest.fixture(scope="module")
def html(report_runs, tmp_path_factory):
    return write_report(report_runs, tmp_path_factory.mktemp("r") / "sub" / "report.html").read_text()


def test_every_template_autoescapes_and_is_strict():
    env = environment()
    assert env.undefined is StrictUndefined
    for name in env.list_templates():
        assert env.select_autoescape(name) if callable(env.autoescape) else env.autoescape
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


def test_model_text_is_escaped(html):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("c", Path(__file__).with_name("conftest.py"))
    c = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(c)
    for payload in (c.XSS_SCRIPT, c.XSS_IMG, c.XSS_SMILES):
        assert payload not in html
    assert "&lt;script&gt;window.__pwned = 1; alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=&#34;window.__pwned = 2&#34;&gt;" in html
    assert html.count("<script") == 1


def test_script_is_allowed_by_its_hash_and_nothing_is_fetched(html):
    import html as htmllib

    csp = htmllib.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1))
    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    # Self-contained: no external URL is referenced by any src/href.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_leaderboard_cells_carry_metadata(html):
    # model, date, n, evalsuite version and data hash beside the number
    assert re.search(r'title="openai/strong-model · 2025-06-01 12:00:00 · n=4 · evalsuite 0.1.0 · '
                     r'data sha256:abc123def456"', html)
    assert "retrosynthesis" in html and "top1 <b class=\"arrow up\">↑</b>" in html
    assert "mae <b class=\"arrow down\">↓</b>" in html


def test_molecule_drawing_is_an_inert_data_uri():
    uri = molecules.draw("c1ccccc1O")
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "<svg" in svg and "<script" not in svg
    assert molecules.draw('CCO"/><svg onload="x()">') is None
    assert molecules.draw("not a molecule") is None
    assert molecules.first_smiles(["CCN", "CCO"]) == "CCN"
    assert molecules.first_smiles(None) is None


def test_nice_ticks_hand_worked():
    # span 13..50 in ~7 ticks: raw step 37/6 = 6.2 -> next nice step 10 -> 20, 30, 40, 50
    assert charts.nice_ticks(13, 50, 7) == [20, 30, 40, 50]
    assert charts.nice_ticks(0, 1, 5) == [0, 0.25, 0.5, 0.75, 1.0]


def test_length_chart_marks_boundary_and_escapes_labels():
    series = [charts.Series("<m&m>", [(10, 1.0, 0.8, 1.0), (20, 0.5, 0.3, 0.7), (30, 0.0, 0.0, 0.2)])]
    svg = str(charts.line_chart(series, x_label="length", y_label="accuracy", boundary=20))
    assert "&lt;m&amp;m&gt;" in svg and "<m&m>" not in svg
    # plot spans x 56..884 over lengths 10..30, so the boundary at 20 sits at 56 + 828/2 = 470
    assert 'x1="470.0"' in svg and "in-distribution ≤ 20" in svg
    # y=0.5 maps to the middle of the plot: top 12 + 0.5 * plot height (320 - 12 - 66 = 242) = 133
    assert "470.0,133.0" in svg


def test_length_section_has_curve_per_run(html):
    assert html.count('<svg class="chart"') == 1
    assert html.count("<polyline") == 2 and "in-distribution ≤ 30" in html


def test_missing_run_directory_is_a_clear_error(tmp_path):
    with pytest.raises(RunError, match="not a run directory"):
        write_report([tmp_path / "nope"], tmp_path / "r.html")


def test_load_run_one_row_per_sample(report_runs):
    frame = load_run(report_runs[0])
    lines = (report_runs[0] / "samples.jsonl").read_text().splitlines()
    assert len(frame) == len(lines) == 240 + 4 + 6
    first = json.loads(lines[0])
    assert frame.loc[0, "id"] == first["id"] and frame.loc[0, "model"] == "openai/strong-model"
    tail = frame[frame.benchmark == "tail/large-number-addition"]
    assert tail["score.accuracy"].sum() == sum(json.loads(x)["scores"].get("accuracy", 0) or 0 for x in lines
                                               if json.loads(x)["benchmark"] == "tail/large-number-addition")
    assert frame["score.top1"].notna().sum() == 4 and "meta.bucket" in frame.columns


def test_load_results_is_tidy(report_runs):
    frame = load_results(*report_runs)
    assert list(frame.columns)[:8] == ["run", "model", "benchmark", "metric", "value", "ci_lo", "ci_hi", "n"]
    row = frame[(frame.model == "local/smollm2") & (frame.benchmark == "retrosynthesis")].iloc[0]
    assert (row.metric, row.value, row.ci_lo, row.ci_hi, row.n) == ("top1", 0.25, 0.0, 0.45, 4)
    assert bool(row.headline) and row.higher_is_better
    mae = frame[(frame.metric == "mae") & (frame.benchmark == "crystal-stability")]
    assert len(mae) == 2 and not mae.higher_is_better.any()


def test_a_column_warns_when_its_runs_were_graded_on_different_items(rd, tmp_path):
    same_a = rd.toy_run(tmp_path / "a", "m/a", 6, configs={"toy": {"data_hash": "h1"}})
    other_hash = rd.toy_run(tmp_path / "b", "m/b", 6, configs={"toy": {"data_hash": "h2"}})
    shifted = rd.toy_run(tmp_path / "c", "m/c", 6, start=2, configs={"toy": {"data_hash": "h1"}})
    same_b = rd.toy_run(tmp_path / "d", "m/d", 6, wrong=[1], configs={"toy": {"data_hash": "h1"}})
    page = write_report([same_a, other_hash], tmp_path / "1.html").read_text()
    assert 'id="item-warnings"' in page and "2 different data hashes (h1, h2)" in page
    # same hash, but the journals hold different ids: items 0000-0005 against 0002-0007 share 4
    page = write_report([same_a, shifted], tmp_path / "2.html").read_text()
    assert "the runs share 4 of 6 sample ids" in page
    assert 'id="item-warnings"' not in write_report([same_a, same_b], tmp_path / "3.html").read_text()


def test_groups_read_in_natural_order():
    from evalsuite.reports.view import group_sort_key

    values = ["item10", "Ester", "L", "10", "amide", "2", "S", "item2", "M", "1.5", "Buchwald"]
    assert sorted(values, key=group_sort_key) == \
        ["S", "M", "L", "1.5", "2", "10", "amide", "Buchwald", "Ester", "item2", "item10"]


def test_a_zero_width_interval_is_not_shown_as_a_ci():
    from evalsuite.reports.view import Cell

    # a metric over a subset (recall, TNR) can be constant while the samples are not: no "all agree"
    assert Cell(1.0, (1.0, 1.0), 10).ci_text == "no CI: the same value in every resample"
    assert Cell(1.0, (1.0, 1.0), 1).ci_text == "no CI: one sample"
    assert Cell(0.5, (0.2, 0.8), 10).ci_text == "[0.200, 0.800]"


def test_family_summary_and_tail_overview_from_results(rd, tmp_path):
    run = rd.replay_run(tmp_path / "t", 0.5, n=30, salt="f")
    results = json.loads((run / "results.json").read_text())
    overall = results["families"]["tail"]["overall"]
    page = write_report([run], tmp_path / "f.html").read_text()
    assert 'id="families"' in page and 'id="tail-overview"' in page
    # the family cell: overall accuracy and the OOD/ID ratio, as results.json computed them
    assert f'{overall["accuracy"]:.3f}' in page and f'OOD/ID {overall["ood_id_ratio"]:.2f}' in page
    # one heatmap cell per bucket of the one task, and its per-task section folded below
    overview = page[page.index('id="tail-overview"'):]
    heatmap = overview[overview.index('<svg class="heatmap"'):overview.index("</svg>")]
    assert heatmap.count("<rect") == 3 and 'class="tail-tasks"' in overview


def test_retrosynthesis_card_shows_product_and_ranked_candidates_with_the_hit(rd, tmp_path):
    from evalsuite.core.types import BenchmarkResult, MetricValue

    # gold acetic acid + ethanol; the model ranks acetyl chloride first, then the gold written
    # another way (OCC.OC(C)=O): the hit is rank 2.
    record = rd.record("retrosynthesis", "ester-x", {"top_1": 0.0, "top_3": 1.0}, target="CC(=O)O.CCO",
                       prediction=["CC(=O)Cl.CCO", "OCC.OC(C)=O", "CCOC(C)=O"],
                       metadata={"product": "CCOC(C)=O", "reaction_class": "ester"})
    result = BenchmarkResult(n=1, metrics={"top_1": MetricValue(0.0, (0.0, 0.79), 1)}, headline="top_1",
                             higher_is_better={"top_1": True}, extra={"molecule_fields": ["target", "prediction"]})
    run = rd.write_run(tmp_path / "r", "m/x", [record], {"retrosynthesis": result})
    page = write_report([run], tmp_path / "r.html").read_text()
    card = page[page.index('class="mol wrong"'):]
    assert "<b>product</b> <code>CCOC(C)=O</code>" in card
    assert '<li class="hit"><code>OCC.OC(C)=O</code> <b>← gold, rank 2</b></li>' in card
    assert "hit at rank 2" in card


def test_items_across_runs_put_disagreements_first(rd, tmp_path):
    a = rd.toy_run(tmp_path / "a", "m/a", 5, wrong=[])
    b = rd.toy_run(tmp_path / "b", "m/b", 5, wrong=[3])
    page = write_report([a, b], tmp_path / "c.html").read_text()
    table = page[page.index('id="items"'):page.index('id="samples"')]
    rows = re.findall(r"<tr class=\"(disagree)?\"><td>toy</td><td><code>([^<]+)</code>", table)
    assert rows[0] == ("disagree", "item-0003")
    assert [item for flag, item in rows[1:]] == ["item-0000", "item-0001", "item-0002", "item-0004"]
    assert all(flag == "" for flag, _ in rows[1:])
