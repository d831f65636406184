"""The gate and ``compare`` on sweep folders (``evalsuite run --sweep``): two sweeps over the same
setting are compared value by value, each pair of sub-runs as two ordinary runs. A value only one
sweep has is named and left out; no shared value, a sweep against a plain run, or sweeps over
different settings are incomparable (exit 2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from evalsuite.core.errors import GateError
from evalsuite.files.sweep import folder_name, is_sweep, read_sweep
from evalsuite.gate.compare import EXIT_FAIL, EXIT_INCOMPARABLE, EXIT_PASS, gate, run_compare
from evalsuite.gate.report import gate_markdown, step_summary


def matched(baseline: Path, candidate: Path) -> tuple[str, list[tuple[Any, Path, Path]], list[str]]:
    """(key, [(value, baseline sub-run, candidate sub-run)] in the baseline's order, notes)."""
    if not (is_sweep(baseline) and is_sweep(candidate)):
        plain = candidate if is_sweep(baseline) else baseline
        raise GateError([f"{plain} is a single run and the other a sweep: compare two sweeps over the same "
                         "setting, or give the sweep's KEY=VALUE sub-run folder"])
    base, cand = read_sweep(baseline), read_sweep(candidate)
    if base["key"] != cand["key"]:
        raise GateError([f"the sweeps vary different settings ({base['key']} vs {cand['key']})"])
    key = base["key"]
    theirs = {json.dumps(v): v for v in cand["values"]}
    pairs = [(v, baseline / folder_name(key, v), candidate / folder_name(key, v)) for v in base["values"]
             if json.dumps(v) in theirs]
    mine = {json.dumps(v) for v in base["values"]}
    notes = [f"{key}={v} only in the baseline: not compared" for v in base["values"] if json.dumps(v) not in theirs]
    notes += [f"{key}={v} only in the candidate: not compared" for v in cand["values"] if json.dumps(v) not in mine]
    if not pairs:
        raise GateError([f"the sweeps share no {key} value ({base['values']} vs {cand['values']})"])
    return key, pairs, notes


def worst(codes: list[int]) -> int:
    if EXIT_INCOMPARABLE in codes:
        return EXIT_INCOMPARABLE
    return EXIT_FAIL if EXIT_FAIL in codes else EXIT_PASS


def run_gate_sweep(baseline: Path, candidate: Path, policy: Path | None, json_out: Path | None = None) -> int:
    """The gate at every shared value; the verdict is the worst of theirs."""
    try:
        key, pairs, notes = matched(Path(baseline), Path(candidate))
    except GateError as exc:
        print("evalsuite gate: incomparable runs or bad input: " + "; ".join(exc.problems), file=sys.stderr)
        return EXIT_INCOMPARABLE
    codes, reports, texts = [], {}, [f"# evalsuite gate over {key}: {len(pairs)} value(s)"]
    texts += [f"> note: {note}" for note in notes]
    for value, base, cand in pairs:
        code, report = gate(base, cand, policy)
        codes.append(code)
        reports[json.dumps(value)] = report
        texts += ["", f"## {key}={value}", gate_markdown(report)]
        if code == EXIT_INCOMPARABLE:
            print(f"evalsuite gate: {key}={value}: incomparable: " + "; ".join(report["problems"]), file=sys.stderr)
    text = "\n".join(texts)
    print(text)
    step_summary(text)
    code = worst(codes)
    if json_out is not None:
        verdict = {EXIT_PASS: "pass", EXIT_FAIL: "fail", EXIT_INCOMPARABLE: "incomparable"}[code]
        Path(json_out).write_text(json.dumps({"sweep": key, "verdict": verdict, "exit_code": code, "notes": notes,
                                              "values": reports}, indent=2) + "\n", encoding="utf-8")
    return code


def run_compare_sweep(a: Path, b: Path) -> int:
    """``compare`` at every shared value."""
    try:
        key, pairs, notes = matched(Path(a), Path(b))
    except GateError as exc:
        print("evalsuite compare: cannot compare: " + "; ".join(exc.problems), file=sys.stderr)
        return EXIT_INCOMPARABLE
    print(f"# evalsuite compare over {key}: {len(pairs)} value(s)")
    for note in notes:
        print(f"> note: {note}")
    codes = []
    for value, base, cand in pairs:
        print(f"\n## {key}={value}\n", flush=True)
        codes.append(run_compare(base, cand))
    return worst(codes)
