"""Multi-step synthesis planning: a model proposes up to k ranked routes from a target back to
purchasable building blocks; each is graded for validity, purchasability and match (issue 18).

Data (``--data``, else the embedded set):

- the embedded set (``routes.json`` beside this module; 29 drug targets with published routes of
  2-6 steps, 10 of them convergent, written for evalsuite as step lists with the source named),
  graded against the embedded stock (``stock.tsv``, 288 named building blocks and reagents that
  contain every reference leaf);
- a PaRoutes reference file (``n1-routes.json`` / ``n5-routes.json``, or any list of PaRoutes /
  AiZynthFinder trees): sample ids are the 0-based position, ``00000``...; the stock is
  ``--set stock=PATH``, else ``n1-stock.txt`` / ``n5-stock.txt`` beside the file.

A stock file holds one molecule per line: a SMILES or an InChIKey, optionally followed by a tab
or spaces and a name; ``#`` lines and a ``smiles`` header are skipped.

Options (``--set``): ``k`` (routes read from a reply, 10), ``ranking`` (``model``: the model's
order, route match counted among the first k stock-terminated candidates as retrocast does;
``paroutes``: re-ranked by Badowski route cost, ties sharing a rank, match among all candidates
ranked k or better, as PaRoutes' route_quality.py), ``stock_match`` (InChIKey level for stock
and route matching: ``full``, ``no-stereo``, ``connectivity``), ``stock`` (a stock file).
PaRoutes' "solved target" (every leaf in stock) is ``stock_terminated`` here; ``solved`` also
asks every step to pass the RDKit checks. CIs are evalsuite's (Wilson, bootstrap) like every
other benchmark's, not retrocast.analyze's bootstrap, so the gate compares like with like.

Reply: the last ``<answer>`` / ``[ANSWER]`` block, else the text after the last ``Final Answer:``,
else the whole reply, searched for its last JSON value (``evalsuite.core.extraction``): ``{"routes":
[...]}``, a list of routes, or one route. A route is a PaRoutes tree, a nested ``{"smiles",
"children"}`` tree or a list of reaction SMILES (``evalsuite.scorers.routes.to_tree``). Every candidate
keeps its rank; one that cannot be read is a failed candidate with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

from evalsuite.core.benchmark import BenchmarkBase, take
from evalsuite.core.data_info import DataInfo
from evalsuite.core.errors import BenchmarkError, DataError
from evalsuite.core.extraction import FINAL_ANSWER_LINE, is_refusal, last_answer_tag, last_json, strip_think
from evalsuite.core.metrics import Metric, continuous, descriptive, proportion
from evalsuite.core.types import BenchmarkResult, GenerationSettings, Prediction, Sample, SampleRecord, Score
from evalsuite.scorers import routes

RANKINGS = ("model", "paroutes")
MAX_REPLY_CHARS = 200_000  # a longer reply is refused before any parsing (a route list is a few kB)
MAX_K = 50
BASELINE_SAMPLES = 200  # baselines are graded on the first samples, enough for a stable mean
INCHIKEY = __import__("re").compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")

METRICS: tuple[Metric, ...] = (
    proportion("solved", description="some candidate is valid at every step and all its leaves are in stock"),
    proportion("solved_top_1", description="a candidate ranked 1 is solved"),
    continuous("mrr_solved", description="1 / rank of the first solved candidate (0 when none)"),
    proportion("stock_terminated", description="some candidate is a valid route whose leaves are all in stock"),
    continuous("route_validity", description="share of candidates that are valid routes"),
    continuous("step_validity", description="share of the steps of the valid routes that pass the RDKit checks"),
    *(proportion(f"route_top_{k}", description=f"the reference route (signature) is among the first {k}")
      for k in routes.TOP_K),
    *(proportion(f"route_prefix_top_{k}", description=f"retrocast prefix match of the reference among the first {k}")
      for k in routes.TOP_K),
    descriptive("n_steps", per_sample=True, description="reactions in the rank-1 route"),
    descriptive("longest_linear_route", per_sample=True, description="reactions on the rank-1 route's longest path"),
    descriptive("n_leaves", per_sample=True, description="starting materials of the rank-1 route"),
    descriptive("leaf_overlap", per_sample=True, description="PaRoutes leaf overlap of the rank-1 route with the reference"),
    descriptive("length_difference", per_sample=True, description="rank-1 longest linear route minus the reference's"),
    descriptive("ref_longest_linear_route", per_sample=True, description="the reference's longest linear route"),
    descriptive("ref_n_leaves", per_sample=True, description="starting materials of the reference"),
    descriptive("imbalanced_steps", per_sample=True,
                description="share of valid steps whose product has more heavy atoms of an element than one equivalent of each reactant"),
)
ZERO_WHEN_UNANSWERED = ("solved", "solved_top_1", "mrr_solved", "stock_terminated", "route_validity",
                        *(f"route_top_{k}" for k in routes.TOP_K), *(f"route_prefix_top_{k}" for k in routes.TOP_K))


def _package_file(name: str) -> Path:
    return Path(str(files("evalsuite.benchmarks.synthesis_planning") / name))


@lru_cache(maxsize=8)
def load_stock(path: str, mtime: float) -> routes.Stock:
    """A stock file (see the module docstring), keyed by full InChIKey; ``mtime`` keys the cache."""
    names: dict[str, str] = {}
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise BenchmarkError(f"cannot read stock {path}: {exc}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            parts = line.strip().split(None, 1)
            if not parts or parts[0].startswith("#") or parts[0].lower() == "smiles":
                continue
            token, name = parts[0], parts[1].strip() if len(parts) > 1 else ""
            if INCHIKEY.match(token):
                names[token] = name
                continue
            try:
                names[routes.inchikey(token)] = name
            except ValueError:
                raise DataError(Path(path), number, f"not a SMILES or InChIKey: {token[:80]!r}") from None
    if not names:
        raise DataError(Path(path), 1, "stock file holds no molecules")
    return routes.Stock(names)


class SynthesisPlanning(BenchmarkBase):
    name: ClassVar[str] = "synthesis-planning"
    description: ClassVar[str] = (
        "Multi-step synthesis planning: up to k ranked routes to purchasable building blocks, graded for "
        "step validity (RDKit), stock termination and reference-route match (retrocast; PaRoutes ranking)"
    )
    version: ClassVar[str] = "1"
    headline: ClassVar[str] = "solved"
    max_reply_chars: ClassVar[int | None] = None  # extract refuses a reply over MAX_REPLY_CHARS (200,000) itself
    metrics: ClassVar[tuple[Metric, ...]] = METRICS
    group_by: ClassVar[tuple[str, ...]] = ("ref_length", "topology")
    options: ClassVar[dict[str, Any]] = {"k": 10, "ranking": "model", "stock_match": "full", "stock": ""}
    generation = GenerationSettings(max_tokens=4096)

    def validate(self) -> None:
        if not 1 <= self.option("k") <= MAX_K:
            raise BenchmarkError(f"{self.name}: k must be between 1 and {MAX_K}")
        if self.option("ranking") not in RANKINGS:
            raise BenchmarkError(f"{self.name}: ranking must be one of {', '.join(RANKINGS)}")
        if self.option("stock_match") not in routes.LEVELS:
            raise BenchmarkError(f"{self.name}: stock_match must be one of {', '.join(routes.LEVELS)}")
        self._stock_path: Path | None = Path(self.option("stock")) if self.option("stock") else None

    # -- data ---------------------------------------------------------------------------------
    def stock(self) -> routes.Stock:
        path = self._stock_path or _package_file("stock.tsv")
        try:
            mtime = path.stat().st_mtime
        except OSError as exc:
            raise BenchmarkError(f"{self.name}: cannot read stock {path}: {exc}") from None
        return load_stock(str(path), mtime)

    def data_info(self, data: Path | None) -> DataInfo:
        from evalsuite.core import data_info

        path = Path(data) if data is not None else _package_file("routes.json")
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = None
        rows = len(entries) if isinstance(entries, list) else None
        if data is None:
            return data_info.embedded(rows or 0, "targets")
        return data_info.of_file(path, unit="targets", rows=rows)

    def samples(self, data: Path | None, seed: int, limit: int | None) -> Iterator[Sample]:
        path = Path(data) if data is not None else _package_file("routes.json")
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BenchmarkError(f"{self.name}: cannot read {path}: {exc}") from None
        if not isinstance(entries, list):
            raise DataError(path, 1, "expected a JSON list of routes")
        if data is not None and self._stock_path is None:
            beside = path.with_name(path.name.replace("-routes.json", "-stock.txt"))
            if beside == path or not beside.is_file():
                raise BenchmarkError(f"{self.name}: no stock for {path}; give one with --set stock=PATH "
                                     "(PaRoutes: n1-stock.txt or n5-stock.txt)")
            self._stock_path = beside
        self.stock()  # a bad stock file fails before any request is sent
        for index, entry in take(enumerate(entries), limit):
            yield self.sample_of(entry, index, path)

    def sample_of(self, entry: Any, index: int, path: Path) -> Sample:
        where = f"entry {index}"
        if isinstance(entry, dict) and "steps" in entry:  # the embedded layout
            sample_id, target = str(entry.get("id") or f"{index:05d}"), entry["steps"][-1].split(">")[-1]
            extra = {"name": entry.get("name", ""), "source": entry.get("source", "")}
            raw: Any = entry["steps"]
        else:  # a PaRoutes reference tree
            sample_id, extra = f"{index:05d}", {}
            target = entry.get("smiles", "") if isinstance(entry, dict) else ""
            raw = entry
        try:
            reference, _ = routes.reference_route(routes.to_tree(raw, target))
        except (routes.RouteError, ValueError, RuntimeError) as exc:
            raise DataError(path, 1, f"{where}: reference route unusable: {exc}") from None
        metadata = {"target_smiles": reference.smiles, "ref_length": routes.longest_linear_route(reference),
                    "topology": "convergent" if routes.is_convergent(reference) else "linear", **extra}
        return Sample(id=sample_id, messages=[{"role": "user", "content": self.prompt(reference.smiles)}],
                      target=reference.to_dict(), metadata=metadata)

    def prompt(self, target: str) -> str:
        k = self.option("k")
        return "\n".join([
            f"Propose up to {k} different synthesis routes for the target molecule below, best first. "
            "Each route must start from commercially available building blocks and reach the target; "
            "every step must be a plausible reaction.",
            f"Target: {target}",
            "Write each route as a list of reaction steps in the order they are run, each step a reaction "
            "SMILES 'reactants>>product' (molecules separated by '.'; reagents may go between the arrows, "
            "'reactants>reagents>product'). The last step makes the target.",
            'End your reply with <answer>{"routes": [["A.B>>C", "C.D>>TARGET"], ...]}</answer>.',
        ])

    def oracle_response(self, sample: Sample) -> str:
        reference = routes.to_tree(sample.target)
        return f"A route from purchasable materials:\n<answer>{json.dumps({'routes': [reference]})}</answer>"

    # -- extraction -----------------------------------------------------------------------------
    def extract(self, reply: str | None, sample: Sample) -> Prediction:
        if reply is None or not reply.strip():
            return Prediction.failed("empty reply")
        if len(reply) > MAX_REPLY_CHARS:
            return Prediction.failed(f"reply longer than {MAX_REPLY_CHARS} characters ({len(reply)})")
        text, unclosed = strip_think(reply)
        if unclosed:
            return Prediction.failed("unclosed think block", stage="think")
        region, stage = last_answer_tag(text), "answer-tag"
        if region is None:
            finals = list(FINAL_ANSWER_LINE.finditer(text))
            region, stage = (text[finals[-1].start():], "final-answer") if finals else (text, "json")
        found = last_json(region)
        if found is None:
            return Prediction.failed("refusal" if is_refusal(text) else "no JSON route answer found")
        return self.candidates(found[1], sample, stage)

    def from_structured(self, value: Any, sample: Sample) -> Prediction:
        return self.candidates(value, sample, "structured")

    def candidates(self, value: Any, sample: Sample, stage: str) -> Prediction:
        raw = candidate_list(value)
        if not raw:
            return Prediction.failed("the answer holds no routes", stage=stage)
        target = sample.metadata.get("target_smiles")
        out: list[dict[str, Any]] = []
        for item in raw[: self.option("k")]:
            try:
                out.append({"route": routes.to_tree(item, target)})
            except (routes.RouteError, RecursionError) as exc:
                out.append({"invalid": str(exc)[:300]})
        return Prediction(out, stage=stage)

    # -- scoring --------------------------------------------------------------------------------
    def score(self, prediction: Prediction, sample: Sample) -> Score:
        ranking, level = self.option("ranking"), self.option("stock_match")
        if not prediction.ok or not prediction.value:
            reference, _ = routes.reference_route(sample.target)
            values: dict[str, float | None] = dict.fromkeys((m.name for m in METRICS), None)
            values.update(dict.fromkeys(ZERO_WHEN_UNANSWERED, 0.0))
            values.update(ref_longest_linear_route=float(routes.longest_linear_route(reference)),
                          ref_n_leaves=float(len(routes.leaves(reference))))
            return Score(values, f"[{ranking}] no answer: {prediction.failure or 'no routes'}")
        reference, graded = routes.grade(prediction.value, sample.target, sample.metadata["target_smiles"],
                                         self.stock(), level)
        values = routes.target_metrics(graded, reference, ranking)
        return Score(values, routes.explain(graded, values, ranking))

    def aggregate(self, records: Sequence[SampleRecord], seed: int) -> BenchmarkResult:
        result = super().aggregate(records, seed)
        result.baselines = self.baselines(records)
        result.extra = {"ranking": self.option("ranking"), "stock_match": self.option("stock_match"),
                        "stock_size": len(self.stock().names), "route_fields": ["target", "prediction"]}
        return result

    def baselines(self, records: Sequence[SampleRecord]) -> dict[str, dict[str, float | None]]:
        """"target as its own leaf" and "reference with one leaf swapped for a molecule outside the
        stock", graded like a model's answer on the first ``BASELINE_SAMPLES`` samples."""
        stock, level, ranking = self.stock(), self.option("stock_match"), self.option("ranking")
        kept = ("solved", "stock_terminated", "route_top_1", "route_top_10")
        sums: dict[str, dict[str, float]] = {"target as its own leaf": {}, "reference with one leaf swapped": {}}
        n = 0
        for record in list(records)[:BASELINE_SAMPLES]:
            target = (record.metadata or {}).get("target_smiles")
            if not isinstance(record.target, dict) or not isinstance(target, str):
                continue
            n += 1
            swapped = swap_leaf(record.target, stock, level)
            for label, candidate in (("target as its own leaf", {"smiles": target, "children": []}),
                                     ("reference with one leaf swapped", swapped)):
                reference, graded = routes.grade([{"route": candidate}], record.target, target, stock, level)
                values = routes.target_metrics(graded, reference, ranking)
                for key in kept:
                    sums[label][key] = sums[label].get(key, 0.0) + (values[key] or 0.0)
        if not n:
            return {}
        return {label: {key: total / n for key, total in row.items()} for label, row in sums.items()}


def candidate_list(value: Any) -> list[Any]:
    """The ranked candidates of a decoded answer: ``{"routes": [...]}``, a list of routes, one route."""
    if isinstance(value, dict):
        if isinstance(value.get("routes"), list):
            return list(value["routes"])
        return [value] if any(key in value for key in ("smiles", "steps", "route", "tree")) else []
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return [value]  # one step list
        return list(value)
    return []


def swap_leaf(tree: dict[str, Any], stock: routes.Stock, level: str) -> dict[str, Any]:
    """The tree with its largest leaf replaced by a methyl homologue that is not in the stock.

    Adding a methyl to a carbon keeps the leaf's element set, so every step stays valid and only
    purchasability (and the match) is lost.
    """
    from rdkit import Chem

    copy = json.loads(json.dumps(tree))
    leaves = [node for node in _walk(copy) if not node.get("children")]
    leaves.sort(key=lambda node: -len(node["smiles"]))
    for leaf in leaves:
        mol = Chem.MolFromSmiles(leaf["smiles"])
        if mol is None:
            continue
        for atom in mol.GetAtoms():
            if atom.GetSymbol() != "C" or atom.GetTotalNumHs() == 0:
                continue
            edit = Chem.RWMol(mol)
            methyl = edit.AddAtom(Chem.Atom(6))
            edit.AddBond(atom.GetIdx(), methyl, Chem.BondType.SINGLE)
            try:
                Chem.SanitizeMol(edit)
            except ValueError:
                continue
            smiles = Chem.MolToSmiles(edit)
            if not stock.contains(routes.inchikey(smiles), level):
                leaf["smiles"] = smiles
                return copy
    return copy


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("children") or []:
        yield from _walk(child)
