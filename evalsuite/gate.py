"""Regression gate for CI: is a candidate run significantly worse than a baseline run?

Statistics are paired, on the items both runs share (the gate insists the sample id sets are
equal; ``compare`` uses whatever ids they share):

* a metric whose per-sample scores are all 0/1 in both runs: exact McNemar test, i.e. the
  two-sided binomial test of the discordant pairs (b = right->wrong, c = wrong->right) against
  p = 1/2: ``p = min(1, 2 * P(X <= min(b, c)))`` with ``X ~ Binomial(b + c, 1/2)``.
* any other per-sample metric (mean of present values) and any aggregate-only metric (F1, DAF,
  top-k ... recomputed by the benchmark's own ``aggregate`` on the resampled items): a seeded
  paired bootstrap. Items are resampled with replacement (the same draw for both runs), the
  difference candidate - baseline is recomputed each time; the two-sided p-value is
  ``min(1, 2 * min(#(d* <= 0) + 1, #(d* >= 0) + 1) / (B + 1))``.
* the 95% CI of every difference is the percentile interval of the same paired bootstrap.
* Holm's step-down correction across all guarded metrics (family-wise alpha).

Verdict per guarded metric, where ``drop`` is the worsening in the metric's own units
(baseline - candidate when higher is better): FAIL when drop > margin and Holm-adjusted
p <= alpha; WARN when drop > margin but not significant; PASS otherwise.
Exit codes: 0 pass (warnings allowed), 1 fail, 2 incomparable runs or bad input.

Policy file (YAML, read with ``yaml.safe_load``)::

    alpha: 0.05        # family-wise, Holm across guards
    margin: 0.02       # default largest tolerated drop, in metric units
    seed: 0
    resamples: 2000    # bootstrap draws (aggregate-only metrics use at most 200)
    guards:
      - benchmark: tail/*          # fnmatch pattern over benchmark names
        metric: accuracy           # default: the benchmark's headline metric
        direction: higher          # higher | lower; default: results.json higher_is_better
        margin: 0.01

Without a policy every benchmark of the baseline is guarded on its headline metric.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import sys
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalsuite.errors import EvalsuiteError
from evalsuite.frames import Run, RunError, higher_is_better, read_run
from evalsuite.types import SampleRecord

EXIT_PASS, EXIT_FAIL, EXIT_INCOMPARABLE = 0, 1, 2
DEFAULT_ALPHA = 0.05
DEFAULT_MARGIN = 0.02
DEFAULT_RESAMPLES = 2000
NOT_COMPARED = {"generation", "data", "samples"}  # may differ between comparable runs
RECOMPUTE_RESAMPLES = 200  # aggregate-only metrics call the benchmark's aggregate per draw


class GateError(EvalsuiteError):
    """Runs that cannot be compared, or bad input. ``problems`` lists every difference found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# -- statistics -------------------------------------------------------------------------------

def binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2); exact rational arithmetic up to n = 5000."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= 5000:
        total, term = 0, 1
        for i in range(k + 1):
            total += term
            term = term * (n - i) // (i + 1)
        return total / 2**n
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k + 1)]
    top = max(logs)
    return min(1.0, math.exp(top + math.log(sum(math.exp(v - top) for v in logs)) - n * math.log(2)))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts b and c."""
    n = b + c
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * binom_cdf_half(min(b, c), n))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm (1979) step-down adjusted p-values, in the input order."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def _rng(seed: int, benchmark: str, metric: str):
    import numpy as np

    # Keyed by benchmark and metric so that adding a guard never changes another's draws.
    return np.random.default_rng([seed, zlib.crc32(f"{benchmark}\0{metric}".encode())])


def bootstrap_p(draws) -> float:
    """Two-sided percentile-bootstrap p-value of H0: difference = 0 (with the +1 correction)."""
    import numpy as np

    draws = np.asarray(draws, dtype=float)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return 1.0
    low = (np.count_nonzero(draws <= 0) + 1) / (draws.size + 1)
    high = (np.count_nonzero(draws >= 0) + 1) / (draws.size + 1)
    return float(min(1.0, 2 * min(low, high)))


def paired_mean_draws(base, cand, rng, resamples: int):
    """Bootstrap draws of mean(cand) - mean(base) over present (non-NaN) values, same items both."""
    import numpy as np

    base = np.asarray(base, dtype=float)
    cand = np.asarray(cand, dtype=float)
    base_mask, cand_mask = ~np.isnan(base), ~np.isnan(cand)
    base0, cand0 = np.where(base_mask, base, 0.0), np.where(cand_mask, cand, 0.0)
    n = base.size
    out = np.empty(resamples)
    chunk = max(1, min(resamples, 10_000_000 // max(n, 1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, resamples, chunk):
            stop = min(resamples, start + chunk)
            idx = rng.integers(0, n, size=(stop - start, n))
            mean_c = cand0[idx].sum(1) / cand_mask[idx].sum(1)
            mean_b = base0[idx].sum(1) / base_mask[idx].sum(1)
            out[start:stop] = mean_c - mean_b
    return out


def percentile_ci(draws) -> tuple[float, float] | None:
    import numpy as np

    draws = np.asarray(draws, dtype=float)
    draws = draws[~np.isnan(draws)]
    if draws.size == 0:
        return None
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return (float(lo), float(hi))


# -- one paired comparison --------------------------------------------------------------------

@dataclass
class Row:
    """One compared metric: values, paired difference, test and (for the gate) verdict."""

    benchmark: str
    metric: str
    higher_is_better: bool
    n: int
    baseline: float | None
    candidate: float | None
    diff: float | None
    """candidate - baseline"""
    ci95: tuple[float, float] | None
    test: str
    p: float
    discordant: tuple[int, int] | None = None
    """McNemar only: (right -> wrong, wrong -> right)"""
    margin: float | None = None
    p_holm: float | None = None
    verdict: str | None = None

    @property
    def drop(self) -> float:
        """How much worse the candidate is, in metric units (negative = better)."""
        if self.diff is None:
            return 0.0
        return -self.diff if self.higher_is_better else self.diff


def _present(value: Any) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _mean(values: Sequence[float]) -> float | None:
    present = [v for v in values if not math.isnan(v)]
    return sum(present) / len(present) if present else None


def compare_metric(benchmark: str, metric: str, higher: bool, base: Sequence[SampleRecord],
                   cand: Sequence[SampleRecord], *, seed: int, resamples: int,
                   recompute: Recompute | None = None) -> Row:
    """Paired comparison of one metric; ``base`` and ``cand`` are aligned item by item."""
    import numpy as np

    rng = _rng(seed, benchmark, metric)
    n = len(base)
    per_sample = any(metric in r.scores for r in base) or any(metric in r.scores for r in cand)
    if per_sample:
        a = [_present(r.scores.get(metric)) for r in base]
        b = [_present(r.scores.get(metric)) for r in cand]
        draws = paired_mean_draws(a, b, rng, resamples)
        va, vb = _mean(a), _mean(b)
        diff = None if va is None or vb is None else vb - va
        binary = all(math.isnan(v) or v in (0.0, 1.0) for v in a + b)
        if binary:
            both = [(x, y) for x, y in zip(a, b, strict=False) if not (math.isnan(x) or math.isnan(y))]
            right_to_wrong = sum(1 for x, y in both if x == 1.0 and y == 0.0)
            wrong_to_right = sum(1 for x, y in both if x == 0.0 and y == 1.0)
            return Row(benchmark, metric, higher, n, va, vb, diff, percentile_ci(draws),
                       "mcnemar-exact", mcnemar_exact(right_to_wrong, wrong_to_right),
                       discordant=(right_to_wrong, wrong_to_right))
        return Row(benchmark, metric, higher, n, va, vb, diff, percentile_ci(draws),
                   "paired-bootstrap", bootstrap_p(draws))
    if recompute is None:
        raise GateError([f"{benchmark}: metric {metric!r} is neither a per-sample score nor "
                         "recomputable (benchmark not installed)"])
    va, vb = recompute(base), recompute(cand)
    draws_n = min(resamples, RECOMPUTE_RESAMPLES)
    idx = rng.integers(0, n, size=(draws_n, n))
    draws = np.full(draws_n, np.nan)
    resample_a, resample_b = recompute.resampler(base), recompute.resampler(cand)
    for row, picks in enumerate(idx):
        x, y = resample_a(picks), resample_b(picks)
        if x is not None and y is not None:
            draws[row] = y - x
    diff = None if va is None or vb is None else vb - va
    return Row(benchmark, metric, higher, n, va, vb, diff, percentile_ci(draws),
               "paired-bootstrap (recomputed)", bootstrap_p(draws))


class Recompute:
    """A benchmark's own aggregate, for metrics that exist only at the aggregate level."""

    def __init__(self, bench: Any, metric: str, seed: int):
        self.bench, self.metric, self.seed = bench, metric, seed

    def __call__(self, records: Sequence[SampleRecord]) -> float | None:
        result = self.bench.aggregate(records, self.seed)
        entry = result.metrics.get(self.metric)
        return None if entry is None else entry.value

    def resampler(self, records: Sequence[SampleRecord]) -> Callable[[Any], float | None]:
        """picks (indices into ``records``) -> the metric on those records, with repeats.

        The records become one table (in id order) once; a draw takes its rows from it instead
        of building a table from a list of records for each of the 200 draws.
        """
        import numpy as np

        from evalsuite.record_table import RecordTable, encode_id

        table = RecordTable.of(list(records), self.bench.reads)
        ids = np.array([encode_id(r.id) for r in records])
        row_of = np.empty(len(ids), dtype=np.intp)
        row_of[np.argsort(ids, kind="stable")] = np.arange(len(ids))  # the table's own order
        return lambda picks: self(table.take(np.sort(row_of[picks])))


def recomputer(run: Run, benchmark: str, metric: str, seed: int) -> Recompute:
    from evalsuite import registry

    try:
        bench = registry.create(benchmark, run.config(benchmark).get("options") or {})
    except Exception as exc:  # noqa: BLE001 - any plug-in failure means: cannot recompute
        raise GateError([f"{benchmark}: metric {metric!r} is not a per-sample score and the "
                         f"benchmark cannot be loaded to recompute it ({exc})"]) from None
    return Recompute(bench, metric, seed)


# -- comparability ----------------------------------------------------------------------------

def _examples(ids: Sequence[str], k: int = 3) -> str:
    shown = ", ".join(repr(i) for i in list(ids)[:k])
    return shown + (", ..." if len(ids) > k else "")


def _by_id(run: Run, benchmark: str, problems: list[str], which: str) -> dict[str, SampleRecord]:
    out: dict[str, SampleRecord] = {}
    duplicates = []
    seen: set[tuple[str, int]] = set()
    for record in run.records_of(benchmark):  # one record per (id, epoch); the first reply stands for the item
        if (record.id, record.epoch) in seen:
            duplicates.append(record.id)
        seen.add((record.id, record.epoch))
        out.setdefault(record.id, record)
    if duplicates:
        problems.append(f"{benchmark}: {which} has duplicate sample ids ({_examples(duplicates)})")
    if not out:
        problems.append(f"{benchmark}: {which} run {run.path} has no samples in samples.jsonl")
    return out


def comparability(base: Run, cand: Run, benchmarks: Sequence[str], *, strict_ids: bool = True
                  ) -> tuple[list[str], dict[str, list[str]]]:
    """(problems, shared ids per benchmark). Compares the benchmark config (name, version,
    options, data hash: everything but the generation settings, the data path and the sample
    count), sample ids and prompt hashes."""
    problems: list[str] = []
    shared: dict[str, list[str]] = {}
    for name in benchmarks:
        missing = [w for w, run in (("baseline", base), ("candidate", cand)) if name not in run.benchmarks]
        if missing:
            problems.append(f"{name}: benchmark missing from the {' and '.join(missing)} run")
            continue
        cb, cc = base.config(name), cand.config(name)
        for key in sorted((set(cb) | set(cc)) - NOT_COMPARED):
            if cb.get(key) != cc.get(key):
                problems.append(f"{name}: benchmark {key} differs (baseline {cb.get(key)!r}, "
                                f"candidate {cc.get(key)!r})")
        a = _by_id(base, name, problems, "baseline")
        b = _by_id(cand, name, problems, "candidate")
        common = sorted(set(a) & set(b))
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        if (only_a or only_b) and (strict_ids or not common):
            problems.append(
                f"{name}: sample ids differ: {len(only_a)} only in baseline ({_examples(only_a)}), "
                f"{len(only_b)} only in candidate ({_examples(only_b)}), {len(common)} shared")
        changed = [i for i in common if a[i].prompt_hash != b[i].prompt_hash]
        if changed:
            first = changed[0]
            problems.append(
                f"{name}: prompt hashes differ for {len(changed)} of {len(common)} items "
                f"(e.g. id {first!r}: baseline {a[first].prompt_hash[:12]!r}, "
                f"candidate {b[first].prompt_hash[:12]!r})")
        shared[name] = common
    return problems, shared


# -- policy -----------------------------------------------------------------------------------

@dataclass
class Guard:
    benchmark: str
    metric: str | None = None
    direction: str | None = None
    margin: float | None = None


@dataclass
class Policy:
    alpha: float = DEFAULT_ALPHA
    margin: float = DEFAULT_MARGIN
    seed: int = 0
    resamples: int = DEFAULT_RESAMPLES
    guards: list[Guard] = field(default_factory=list)


def load_policy(path: Path | None) -> Policy:
    if path is None:
        return Policy()
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GateError([f"policy {path}: unreadable: {exc}"]) from None
    data = {} if data is None else data
    where = f"policy {path}"
    if not isinstance(data, dict):
        raise GateError([f"{where}: expected a mapping at the top level"])
    unknown = set(data) - {"alpha", "margin", "seed", "resamples", "guards"}
    if unknown:
        raise GateError([f"{where}: unknown keys {sorted(unknown)} (known: alpha, margin, seed, "
                         "resamples, guards)"])
    policy = Policy(
        alpha=_number(data, "alpha", DEFAULT_ALPHA, where, 0.0, 1.0),
        margin=_number(data, "margin", DEFAULT_MARGIN, where, 0.0, math.inf),
        seed=int(_number(data, "seed", 0, where, 0, math.inf)),
        resamples=int(_number(data, "resamples", DEFAULT_RESAMPLES, where, 1, 10**6)),
    )
    guards = data.get("guards", [])
    if not isinstance(guards, list):
        raise GateError([f"{where}: 'guards' must be a list"])
    for number, item in enumerate(guards, start=1):
        at = f"{where}: guards[{number}]"
        if isinstance(item, str):
            item = {"benchmark": item}
        if not isinstance(item, dict) or not isinstance(item.get("benchmark"), str):
            raise GateError([f"{at}: needs a 'benchmark' name or pattern"])
        unknown = set(item) - {"benchmark", "metric", "direction", "margin"}
        if unknown:
            raise GateError([f"{at}: unknown keys {sorted(unknown)} (alpha is family-wise: set it "
                             "at the top level)" if "alpha" in unknown else
                             f"{at}: unknown keys {sorted(unknown)}"])
        direction = item.get("direction")
        if direction not in (None, "higher", "lower"):
            raise GateError([f"{at}: direction must be 'higher' or 'lower', not {direction!r}"])
        metric = item.get("metric")
        if metric is not None and not isinstance(metric, str):
            raise GateError([f"{at}: metric must be a name"])
        margin = _number(item, "margin", None, at, 0.0, math.inf)
        policy.guards.append(Guard(item["benchmark"], metric, direction, margin))
    return policy


def _number(data: dict, key: str, default, where: str, lo: float, hi: float):
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise GateError([f"{where}: {key} must be a number in [{lo}, {hi}], not {value!r}"])
    return value


@dataclass
class Target:
    benchmark: str
    metric: str
    higher: bool
    margin: float


def targets(policy: Policy, base: Run) -> list[Target]:
    """What to guard: the policy's guards expanded over the baseline's benchmarks."""
    guards = policy.guards or [Guard("*")]
    out: list[Target] = []
    for guard in guards:
        names = [b for b in base.benchmarks if fnmatch.fnmatchcase(b, guard.benchmark)]
        if not names:
            raise GateError([f"policy guards benchmark {guard.benchmark!r}, which the baseline run "
                             f"does not have (it has: {', '.join(base.benchmarks) or 'none'})"])
        for name in names:
            result = base.benchmarks[name]
            metric = guard.metric or result.get("headline")
            if not metric:
                raise GateError([f"{name}: results.json names no headline metric; name one in a policy"])
            higher = (guard.direction == "higher") if guard.direction else higher_is_better(result, metric)
            margin = policy.margin if guard.margin is None else guard.margin
            if not any(t.benchmark == name and t.metric == metric for t in out):
                out.append(Target(name, metric, higher, margin))
    return out


# -- the two commands -------------------------------------------------------------------------

def _rows(base: Run, cand: Run, wanted: list[Target], shared: dict[str, list[str]],
          seed: int, resamples: int) -> list[Row]:
    from evalsuite import gate_epochs

    rows = []
    index_a = {(r.benchmark, r.id): r for r in base.records if r.epoch == 0}
    index_b = {(r.benchmark, r.id): r for r in cand.records if r.epoch == 0}
    for t in wanted:
        ids = shared[t.benchmark]
        if max(gate_epochs.epochs_in(base, t.benchmark), gate_epochs.epochs_in(cand, t.benchmark)) > 1:
            rows.append(epoch_row(base, cand, t, ids, seed, resamples))
            continue
        a = [index_a[(t.benchmark, i)] for i in ids]
        b = [index_b[(t.benchmark, i)] for i in ids]
        per_sample = any(t.metric in r.scores for r in a + b)
        if not per_sample and t.metric not in base.benchmarks[t.benchmark]["metrics"]:
            raise GateError([f"{t.benchmark}: no metric {t.metric!r} in the baseline run"])
        fn = None if per_sample else recomputer(base, t.benchmark, t.metric, seed)
        row = compare_metric(t.benchmark, t.metric, t.higher, a, b, seed=seed,
                             resamples=resamples, recompute=fn)
        row.margin = t.margin
        rows.append(row)
    return rows


def epoch_row(base: Run, cand: Run, t: Target, ids: list[str], seed: int, resamples: int) -> Row:
    """A metric of runs with several replies per item: the paired bootstrap over items of each
    item's value over its replies (``gate_epochs``); never McNemar."""
    from evalsuite import gate_epochs

    a, b, test = gate_epochs.item_vectors(base, cand, t.benchmark, t.metric, ids)
    draws = paired_mean_draws(a, b, _rng(seed, t.benchmark, t.metric), resamples)
    va, vb = _mean(a.tolist()), _mean(b.tolist())
    diff = None if va is None or vb is None else vb - va
    return Row(t.benchmark, t.metric, t.higher, len(ids), va, vb, diff, percentile_ci(draws), test,
               bootstrap_p(draws), margin=t.margin)


def gate(baseline: Path, candidate: Path, policy_path: Path | None) -> tuple[int, dict[str, Any]]:
    """Run the gate; return (exit code, report dict). Never prints."""
    report: dict[str, Any] = {"verdict": "incomparable", "exit_code": EXIT_INCOMPARABLE,
                              "problems": [], "rows": []}
    try:
        policy = load_policy(policy_path)
        report.update(alpha=policy.alpha, seed=policy.seed, resamples=policy.resamples)
        base, cand = read_run(baseline), read_run(candidate)
        report.update(baseline=_describe(base), candidate=_describe(cand))
        wanted = targets(policy, base)
        problems, shared = comparability(base, cand, sorted({t.benchmark for t in wanted}))
        if problems:
            raise GateError(problems)
        from evalsuite.gate_epochs import notes

        report["notes"] = notes(base, cand, sorted({t.benchmark for t in wanted}))
        rows = _rows(base, cand, wanted, shared, policy.seed, policy.resamples)
    except (GateError, RunError) as exc:
        report["problems"] = exc.problems if isinstance(exc, GateError) else [str(exc)]
        return EXIT_INCOMPARABLE, report
    for row, adjusted in zip(rows, holm([r.p for r in rows]), strict=False):
        row.p_holm = adjusted
        if row.drop > (row.margin or 0.0) + 1e-12:
            row.verdict = "FAIL" if adjusted <= policy.alpha else "WARN"
        else:
            row.verdict = "PASS"
    code = EXIT_FAIL if any(r.verdict == "FAIL" for r in rows) else EXIT_PASS
    report.update(verdict="fail" if code else "pass", exit_code=code, rows=[_row_dict(r) for r in rows])
    return code, report


def run_gate(baseline: Path, candidate: Path, policy: Path | None, json_out: Path | None = None) -> int:
    """``evalsuite gate``: print a Markdown verdict, append it to $GITHUB_STEP_SUMMARY, write JSON."""
    code, report = gate(Path(baseline), Path(candidate), None if policy is None else Path(policy))
    text = gate_markdown(report)
    print(text)
    if code == EXIT_INCOMPARABLE:
        print("evalsuite gate: incomparable runs or bad input: " + "; ".join(report["problems"]),
              file=sys.stderr)
    _step_summary(text)
    if json_out is not None:
        Path(json_out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return code


def run_compare(a: Path, b: Path) -> int:
    """``evalsuite compare A B``: paired differences (B - A) with 95% CIs and raw p-values, on the
    ids both runs share, for every per-sample metric and headline of every shared benchmark."""
    try:
        base, cand = read_run(a), read_run(b)
        names = [n for n in base.benchmarks if n in cand.benchmarks]
        if not names:
            raise GateError([f"the runs share no benchmark ({', '.join(base.benchmarks) or 'none'} "
                             f"vs {', '.join(cand.benchmarks) or 'none'})"])
        problems, shared = comparability(base, cand, names, strict_ids=False)
        from evalsuite.gate_epochs import notes

        problems += notes(base, cand, names)
        fatal = [p for p in problems if "sample ids differ" in p or "no samples" in p]
        if fatal:
            raise GateError(fatal)
        wanted = []
        for name in names:
            result = base.benchmarks[name]
            metrics = dict.fromkeys(k for r in base.records_of(name) for k in r.scores)
            if result.get("headline"):
                metrics = {result["headline"]: None, **metrics}
            wanted += [Target(name, m, higher_is_better(result, m), 0.0) for m in metrics]
        rows = _rows(base, cand, wanted, shared, 0, DEFAULT_RESAMPLES)
    except (GateError, RunError) as exc:
        items = exc.problems if isinstance(exc, GateError) else [str(exc)]
        print("evalsuite compare: cannot compare: " + "; ".join(items), file=sys.stderr)
        return EXIT_INCOMPARABLE
    lines = [f"## evalsuite compare: {_who(_describe(cand))} vs {_who(_describe(base))}", ""]
    lines += [f"> note: {p}" for p in problems] + ([""] if problems else [])
    lines += _table(rows, verdicts=False)
    lines += ["", "Δ = B - A on shared items; 95% CI from a paired bootstrap (seed 0); "
              "p is unadjusted (exact McNemar for 0/1 scores, paired bootstrap otherwise)."]
    print("\n".join(lines))
    return EXIT_PASS


# -- output -----------------------------------------------------------------------------------

def _describe(run: Run) -> dict[str, Any]:
    return {"path": str(run.path), "model": run.model, "date": run.date,
            "evalsuite_version": run.version}


def _row_dict(row: Row) -> dict[str, Any]:
    data = asdict(row)
    data["drop"] = row.drop
    return data


def _who(d: dict[str, Any]) -> str:
    return f"`{d['model']}` ({d['path']}, {d['date'] or 'undated'}, evalsuite {d['evalsuite_version'] or '?'})"


def _fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}g}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.4f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(rows: list[Row], verdicts: bool) -> list[str]:
    head = ["benchmark", "metric", "better", "n", "baseline", "candidate", "Δ (95% CI)", "test", "p"]
    if verdicts:
        head += ["p (Holm)", "margin", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ci = f" [{_fmt(r.ci95[0])}, {_fmt(r.ci95[1])}]" if r.ci95 else ""
        test = r.test + (f" (b={r.discordant[0]}, c={r.discordant[1]})" if r.discordant else "")
        cells = [r.benchmark, r.metric, "↑" if r.higher_is_better else "↓", str(r.n),
                 _fmt(r.baseline), _fmt(r.candidate), f"{_fmt(r.diff)}{ci}", test, _p(r.p)]
        if verdicts:
            mark = {"PASS": "✅ PASS", "WARN": "⚠️ WARN", "FAIL": "❌ FAIL"}[r.verdict or "PASS"]
            cells += [_p(r.p_holm), _fmt(r.margin), f"**{mark}**"]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def gate_markdown(report: dict[str, Any]) -> str:
    verdict = report["verdict"]
    title = {"pass": "✅ PASS", "fail": "❌ FAIL", "incomparable": "⛔ INCOMPARABLE"}[verdict]
    lines = [f"## evalsuite gate: {title}", ""]
    if "baseline" in report:
        lines += [f"- baseline: {_who(report['baseline'])}"]
    if "candidate" in report:
        lines += [f"- candidate: {_who(report['candidate'])}"]
    if verdict == "incomparable":
        lines += ["", "The runs cannot be compared (exit 2):", ""]
        lines += [f"- {p}" for p in report["problems"]]
        return "\n".join(lines)
    rows = [Row(**{k: v for k, v in r.items() if k != "drop"}) for r in report["rows"]]
    lines += [f"- note: {note}" for note in report.get("notes", [])]
    lines += [f"- alpha {report['alpha']} family-wise (Holm over {len(rows)} guarded metrics); "
              f"bootstrap seed {report['seed']}, {report['resamples']} resamples", ""]
    lines += _table(rows, verdicts=True)
    lines += ["", "FAIL = drop larger than the margin and significant after Holm; WARN = drop larger "
              "than the margin but not significant; Δ = candidate - baseline."]
    return "\n".join(lines)


def _step_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text + "\n\n")
    except OSError as exc:
        print(f"evalsuite gate: cannot append to $GITHUB_STEP_SUMMARY ({path}): {exc}", file=sys.stderr)
