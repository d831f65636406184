"""`evalsuite data pull hte-buchwald-hartwig`: the public copy is an Excel workbook.

A real loopback HTTP server serves a workbook made from the reference CSV; the pull must
convert it back to exactly the reference bytes (the checksum says so), and a workbook with one
yield changed must be refused without leaving a file behind.
"""

from __future__ import annotations

import io

import pytest

from evalsuite.core import datasets


@pytest.fixture()
def workbook_server(shared_data, loopback_http):
    import pandas as pd

    frame = pd.read_csv(shared_data / "hte" / "buchwald_hartwig.csv")
    bodies = {}
    for name, table in (("good", frame), ("tampered", frame.assign(Output=frame["Output"].where(frame.index != 7, 99.9)))):
        buffer = io.BytesIO()
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            table.to_excel(writer, sheet_name="Plates1-3", index=False)
        bodies[f"/{name}.xlsx"] = buffer.getvalue()
    return loopback_http(bodies)


def test_workbook_pull_reproduces_the_reference_csv(workbook_server, shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    path = datasets.pull("hte-buchwald-hartwig", url=f"{workbook_server}/good.xlsx")
    assert path.read_bytes() == (shared_data / "hte" / "buchwald_hartwig.csv").read_bytes()
    assert datasets.cached_path("hte-buchwald-hartwig") == path


def test_tampered_workbook_is_refused(workbook_server, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(datasets.DataSetError, match="sha256"):
        datasets.pull("hte-buchwald-hartwig", url=f"{workbook_server}/tampered.xlsx")
    assert datasets.cached_path("hte-buchwald-hartwig") is None
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
