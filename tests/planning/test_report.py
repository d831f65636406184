"""The report draws each graded route as a tree of molecule pictures, gold beside candidate 1."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import evalsuite.benchmarks.synthesis_planning
from evalsuite.benchmarks.synthesis_planning import SynthesisPlanning

XSS = '<script>window.__pwned=1</script>'


class Trees(HTMLParser):
    """Collects the route trees of the drill-down: per pair, the image count of each side."""

    def __init__(self):
        super().__init__()
        self.pairs: list[list[int]] = []
        self.captions: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "rt-pair":
            self.pairs.append([])
        elif tag == "figure" and self.pairs:
            self.pairs[-1].append(0)
        elif tag == "img" and self.pairs and self.pairs[-1] and (attrs.get("src") or "").startswith("data:image/svg+xml"):
            self.pairs[-1][-1] += 1
        elif tag == "figcaption":
            self._in_caption = True

    def handle_endtag(self, tag):
        self._in_caption = self._in_caption and tag != "figcaption"

    def handle_data(self, data):
        if self._in_caption:
            self.captions.append(data)


def test_report_draws_gold_and_model_route_trees(tmp_path):
    bench = SynthesisPlanning()
    samples = {s.id: s for s in bench.samples(None, 0, None)}
    lines = [{"id": "propranolol", "response": bench.oracle_response(samples["propranolol"])},
             {"id": "lidocaine", "response": json.dumps({"routes": [[f"CCO.{XSS}>>CCN(CC)CC(=O)Nc1c(C)cccc1C"]]})},
             {"id": "diazepam", "response": json.dumps({"routes": [{"smiles": samples["diazepam"].metadata["target_smiles"],
                                                                    "children": [{"smiles": "CC"}]}]})}]
    replay = tmp_path / "replay.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines))
    # the three targets alone, in the embedded layout, with the embedded stock: every sample is
    # answered and all three are in the (capped) drill-down
    package = Path(evalsuite.benchmarks.synthesis_planning.__file__).parent
    three = [e for e in json.loads((package / "routes.json").read_text()) if e["id"] in samples and e["id"] in
             {line["id"] for line in lines}]
    routes_file = tmp_path / "three-routes.json"
    routes_file.write_text(json.dumps(three))
    env = dict(os.environ, EVALSUITE_CACHE=str(tmp_path / "cache"))
    run = [sys.executable, "-m", "evalsuite.cli"]
    done = subprocess.run([*run, "run", "--model", f"replay/{replay}", "--benchmark", "synthesis-planning",
                           "--data", str(routes_file), "--set", f"stock={package / 'stock.tsv'}",
                           "--out", str(tmp_path / "run"), "--no-progress"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*run, "report", str(tmp_path / "run"), "--out", str(tmp_path / "r.html")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "r.html").read_text()
    assert XSS not in html and "&lt;script&gt;window.__pwned" in html  # shown, escaped
    trees = Trees()
    trees.feed(html)
    assert "gold route" in trees.captions and "model, candidate 1" in trees.captions
    by_id = {}
    for match in re.finditer(r'<code class="sid">([^<]+)</code>', html):
        start = match.end()
        end = html.find("</details>", start)
        chunk = Trees()
        chunk.feed(html[start:end])
        by_id[match.group(1)] = chunk.pairs
    # propranolol: 2 steps, 5 molecules (target, glycidyl ether, naphthol, epichlorohydrin, isopropylamine)
    assert by_id["propranolol"] == [[5, 5]]
    # lidocaine: 3-step gold (7 molecules); the model's candidate is unreadable: no pictures, a reason
    assert by_id["lidocaine"] == [[7, 0]]
    # diazepam: the model's tree (target made from ethane) is drawn as proposed: 2 pictures
    assert by_id["diazepam"][0][1] == 2
