"""Render the report: jinja2 with autoescape on for every template and ``StrictUndefined``.

A Content-Security-Policy allows only our own inline script (by its SHA-256), inline styles and
``data:`` images, so even a missed escape could not run a script or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from evalsuite import __version__
from evalsuite.reports.lm_eval_import import read_input
from evalsuite.reports.published import judge_views, references
from evalsuite.reports.sweep import expand, sections
from evalsuite.reports.view import build

TEMPLATES = Path(__file__).with_name("templates")


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its file name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(run_dirs: list[Path]) -> str:
    if not run_dirs:
        raise ValueError("report: give at least one run directory (or lm-eval results file)")
    run_dirs, swept = expand(run_dirs)  # a sweep folder: its sub-runs, and its own section
    runs = [read_input(d) for d in run_dirs]  # run directories, or lm-eval results JSON files
    env = environment()
    script = env.get_template("report.js.jinja").render()
    style = env.get_template("report.css.jinja").render()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    report = build(runs)
    labels = [view.label for view in report.runs]
    return env.get_template("report.html.jinja").render(
        report=report,
        sweeps=sections(swept),
        published=references(runs, labels),
        judged=judge_views(runs, labels),
        script=Markup(script),
        style=Markup(style),
        csp=csp,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        evalsuite_version=__version__,
    )
