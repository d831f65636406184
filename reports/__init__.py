"""HTML leaderboard and run reports: one self-contained page (inline CSS, SVG and a little JS).

``write_report(run_dirs, out)`` reads run directories (docs/contracts.md#files-of-a-run-directory), builds a view model
(``evalsuite.reports.view``), draws charts (``evalsuite.reports.charts``) and molecules (``evalsuite.reports.molecules``) and
renders ``templates/report.html.jinja`` with jinja2 (autoescape on, ``StrictUndefined``).
Installed as ``evalsuite.reports``; reads run files (``evalsuite.files``), statistics and the core,
and the chemistry scorer to mark a ranked candidate that matches the target.
"""

from __future__ import annotations

from pathlib import Path


def write_report(run_dirs: list[Path], out: Path) -> Path:
    """Render the report of ``run_dirs`` to ``out`` (HTML) and return its path."""
    from evalsuite.reports.render import render_report

    out = Path(out)
    html = render_report([Path(d) for d in run_dirs])
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    from evalsuite.core.safe_files import replacing

    with replacing(out, "w", fsync=False) as handle:  # a planted symlink is replaced, its target untouched
        handle.write(html)
    return out
