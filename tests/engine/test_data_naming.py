"""Every run names the data it graded (issue 31): the embedded teaching set is not USPTO-50K,
and a run says which one it was."""

from __future__ import annotations

import shutil

from evalsuite.core import registry


def test_embedded_and_pulled_uspto_are_told_apart(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path))
    bench = registry.create("retrosynthesis")
    info = bench.data_info(None)
    # reactions.csv ships 38 reactions
    assert info.embedded and info.source == "embedded" and info.label() == "embedded (38 reactions)"
    # the USPTO-50K test split in the data cache, as `evalsuite data pull uspto50k` leaves it
    (tmp_path / "data").mkdir()
    shutil.copyfile(shared_data / "uspto50k" / "test.csv", tmp_path / "data" / "uspto50k_test.csv")
    info = bench.data_info(None)
    assert not info.embedded and info.source == "pulled"
    assert info.label() == "USPTO-50K test (5,007 reactions)"  # Schneider et al.'s test split
    # source=embedded insists on the teaching set even when USPTO-50K is pulled
    assert registry.create("retrosynthesis", {"source": "embedded"}).data_info(None).embedded


def test_a_data_file_is_named_by_its_file(tmp_path):
    data = tmp_path / "my-reactions.csv"
    data.write_text("id,reaction_class,reactants,reagents,product\nr1,1,CCO,,CC=O\nr2,1,CO,,C=O\n")
    info = registry.create("forward-synthesis").data_info(data)
    assert info.source == "file" and info.label() == "my-reactions.csv (2 reactions)"
    assert registry.create("tail/lcs").data_info(None).label() == "generated"
