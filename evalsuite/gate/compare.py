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
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalsuite.core.errors import GateError
from evalsuite.core.metrics import UndeclaredMetric, direction_of, is_per_sample, kind_of
from evalsuite.core.types import SampleRecord
from evalsuite.files.frames import Run, RunError, read_run
from evalsuite.gate.notes import generation_notes
from evalsuite.gate.policy import DEFAULT_RESAMPLES, NOT_COMPARED, Guard, Policy, load_policy
from evalsuite.gate.recompute import RECOMPUTE_RESAMPLES, Recompute, recomputer
from evalsuite.gate.report import Row, describe, gate_markdown, markdown_table, row_dict, step_summary, who
from evalsuite.stats.paired import bootstrap_p, holm, mcnemar_exact, paired_mean_draws, percentile_ci, seeded_rng

EXIT_PASS, EXIT_FAIL, EXIT_INCOMPARABLE = 0, 1, 2


# -- one paired comparison --------------------------------------------------------------------

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
                   cand: Sequence[SampleRecord], *, seed: int, resamples: int, per_sample: bool,
                   proportion: bool, recompute: Recompute | None = None) -> Row:
    """Paired comparison of one metric; ``base`` and ``cand`` are aligned item by item.

    ``per_sample`` and ``proportion`` come from the metric's declaration: a per-sample proportion
    gets McNemar's exact test, another per-sample metric a paired bootstrap of the mean
    difference, an aggregate-only metric a paired bootstrap of the benchmark's own aggregate."""
    import numpy as np

    rng = seeded_rng(seed, benchmark, metric)
    n = len(base)
    if per_sample:
        a = [_present(r.scores.get(metric)) for r in base]
        b = [_present(r.scores.get(metric)) for r in cand]
        draws = paired_mean_draws(a, b, rng, resamples)
        va, vb = _mean(a), _mean(b)
        diff = None if va is None or vb is None else vb - va
        if proportion:
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


@dataclass
class Target:
    benchmark: str
    metric: str
    higher: bool
    margin: float
    per_sample: bool = True
    proportion: bool = True


def target_of(result: dict[str, Any], benchmark: str, metric: str, margin: float,
              direction: str | None = None) -> Target:
    """A metric to compare, as the baseline's results.json declares it; a descriptive statistic
    (no direction, e.g. prevalence) or an undeclared metric cannot be gated."""
    try:
        declared = direction_of(result, metric)
        per_sample = is_per_sample(result, metric)
        proportion = kind_of(result, metric) == "proportion"
    except UndeclaredMetric as exc:
        raise GateError([f"{benchmark}: {exc}"]) from None
    if declared is None and direction is None:
        raise GateError([f"{benchmark}: {metric!r} is a descriptive statistic (no direction); it is never gated"])
    higher = (direction == "higher") if direction else bool(declared)
    return Target(benchmark, metric, higher, margin, per_sample, proportion)


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
            margin = policy.margin if guard.margin is None else guard.margin
            if not any(t.benchmark == name and t.metric == metric for t in out):
                out.append(target_of(result, name, metric, margin, guard.direction))
    return out


# -- the two commands -------------------------------------------------------------------------

def _rows(base: Run, cand: Run, wanted: list[Target], shared: dict[str, list[str]],
          seed: int, resamples: int) -> list[Row]:
    from evalsuite.gate import epochs as gate_epochs

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
        if not t.per_sample and t.metric not in base.benchmarks[t.benchmark]["metrics"]:
            raise GateError([f"{t.benchmark}: no metric {t.metric!r} in the baseline run"])
        fn = None if t.per_sample else recomputer(base, t.benchmark, t.metric, seed)
        row = compare_metric(t.benchmark, t.metric, t.higher, a, b, seed=seed, resamples=resamples,
                             per_sample=t.per_sample, proportion=t.proportion, recompute=fn)
        row.margin = t.margin
        rows.append(row)
    return rows


def epoch_row(base: Run, cand: Run, t: Target, ids: list[str], seed: int, resamples: int) -> Row:
    """A metric of runs with several replies per item: the paired bootstrap over items of each
    item's value over its replies (``gate_epochs``); never McNemar."""
    from evalsuite.gate import epochs as gate_epochs

    if gate_epochs.is_aggregate_only(base, cand, t.benchmark, t.metric):
        va, vb, draws, test = gate_epochs.epoch_mean_draws(base, cand, t.benchmark, t.metric, ids, seed, resamples)
    else:
        a, b, test = gate_epochs.item_vectors(base, cand, t.benchmark, t.metric, ids)
        draws = paired_mean_draws(a, b, seeded_rng(seed, t.benchmark, t.metric), resamples)
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
        report.update(baseline=describe(base), candidate=describe(cand))
        wanted = targets(policy, base)
        problems, shared = comparability(base, cand, sorted({t.benchmark for t in wanted}))
        if problems:
            raise GateError(problems)
        from evalsuite.gate.epochs import notes

        report["notes"] = generation_notes(base, cand, sorted(shared)) + notes(base, cand, sorted(shared))
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
    report.update(verdict="fail" if code else "pass", exit_code=code, rows=[row_dict(r) for r in rows])
    return code, report


def run_gate(baseline: Path, candidate: Path, policy: Path | None, json_out: Path | None = None) -> int:
    """``evalsuite gate``: print a Markdown verdict, append it to $GITHUB_STEP_SUMMARY, write JSON."""
    code, report = gate(Path(baseline), Path(candidate), None if policy is None else Path(policy))
    text = gate_markdown(report)
    print(text)
    if code == EXIT_INCOMPARABLE:
        print("evalsuite gate: incomparable runs or bad input: " + "; ".join(report["problems"]),
              file=sys.stderr)
    step_summary(text)
    if json_out is not None:
        from evalsuite.core.safe_files import replacing

        with replacing(Path(json_out), "w", fsync=False) as handle:
            handle.write(json.dumps(report, indent=2) + "\n")
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
        from evalsuite.gate.epochs import notes, shared_repeated

        problems += notes(base, cand, names)
        fatal = [p for p in problems if "sample ids differ" in p or "no samples" in p]
        if fatal:
            raise GateError(fatal)
        problems += generation_notes(base, cand, names)
        wanted = []
        for name in names:
            result = base.benchmarks[name]
            metrics = dict.fromkeys(result.get("per_sample") or ())
            if result.get("headline"):
                metrics = {result["headline"]: None, **metrics}
            metrics.update(dict.fromkeys(shared_repeated(base, cand, name)))
            wanted += [target_of(result, name, m, 0.0) for m in metrics
                       if (result.get("higher_is_better") or {}).get(m) is not None]
        rows = _rows(base, cand, wanted, shared, 0, DEFAULT_RESAMPLES)
    except (GateError, RunError) as exc:
        items = exc.problems if isinstance(exc, GateError) else [str(exc)]
        print("evalsuite compare: cannot compare: " + "; ".join(items), file=sys.stderr)
        return EXIT_INCOMPARABLE
    lines = [f"## evalsuite compare: {who(describe(cand))} vs {who(describe(base))}", ""]
    lines += [f"> note: {p}" for p in problems] + ([""] if problems else [])
    lines += markdown_table(rows, verdicts=False)
    lines += ["", "Δ = B - A on shared items; 95% CI from a paired bootstrap (seed 0); "
              "p is unadjusted (exact McNemar for 0/1 scores, paired bootstrap otherwise)."]
    print("\n".join(lines))
    return EXIT_PASS


