"""Nonsense option values are refused with a message naming the option, before anything runs."""

from __future__ import annotations

import pytest

from evalsuite.cli import main
from evalsuite.core.errors import RunError
from evalsuite.engine.runner import RunConfig, Runner

BAD = [
    ("--limit", "0", "must be a positive integer, not 0"),
    ("--limit", "-1", "must be a positive integer, not -1"),
    ("--max-tokens", "0", "must be a positive integer, not 0"),
    ("--temperature", "-3", "must be between 0 and 2, not -3"),
    ("--temperature", "nan", "must be a finite number"),
    ("--max-concurrency", "0", "must be between 1 and 4096, not 0"),
    ("--timeout", "0", "must be >= 0.001, not 0"),
    ("--max-retries", "-1", "must be between 0 and 100, not -1"),
    ("--max-error-rate", "1.5", "must be between 0 and 1, not 1.5"),
    ("--epochs", "0", "must be between 1 and 1024, not 0"),
    ("--epochs", "-2", "must be between 1 and 1024, not -2"),
    ("--limit", "ten", "expected an integer, not 'ten'"),
]


@pytest.mark.parametrize(("option", "value", "message"), BAD)
def test_out_of_range_run_option_is_refused(tmp_path, capsys, option, value, message):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--model", "oracle", "--benchmark", "tail/compare-numbers", "--out", str(tmp_path / "r"),
              option, value])
    assert stop.value.code == 2
    assert f"argument {option}: {message}" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_samples_limit_is_checked_too(capsys):
    with pytest.raises(SystemExit):
        main(["samples", "tail/compare-numbers", "--limit", "0"])
    assert "argument --limit: must be a positive integer" in capsys.readouterr().err


def test_edge_values_are_accepted(tmp_path):
    assert main(["run", "--model", "oracle", "--benchmark", "tail/compare-numbers", "--out", str(tmp_path / "r"),
                 "--limit", "1", "--max-tokens", "1", "--temperature", "2", "--max-concurrency", "1",
                 "--max-error-rate", "0", "--no-progress"]) == 0


def test_library_callers_get_the_same_ranges(tmp_path):
    config = RunConfig(model="oracle", benchmarks=["tail/compare-numbers"], out=tmp_path / "r", limit=0)
    with pytest.raises(RunError, match="--limit must be a positive integer, not 0"):
        Runner(config).run()
    config = RunConfig(model="oracle", benchmarks=["tail/compare-numbers"], out=tmp_path / "r",
                       overrides={"temperature": -0.5})
    with pytest.raises(RunError, match="--temperature must be between 0 and 2"):
        Runner(config).run()
    assert not (tmp_path / "r").exists()


def test_data_without_an_action_prints_the_data_help(capsys):
    assert main(["data"]) == 2
    out = capsys.readouterr().out
    assert "usage: evalsuite data" in out and "pull" in out and "list" in out
