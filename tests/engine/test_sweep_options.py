"""``--sweep`` refuses what it cannot run, before anything is written or sent: one value, a value of
the wrong type, a setting also fixed by its own flag, a body field evalsuite owns, and an --out
that already holds a plain run."""

from __future__ import annotations

import pytest

from evalsuite.cli import main
from evalsuite.files.sweep import folder_name, parse_values


@pytest.mark.parametrize(("text", "expected"), [
    ("max_tokens=4096,16384,65536", ("max_tokens", [4096, 16384, 65536])),
    ("reasoning_effort=low, medium ,high", ("reasoning_effort", ["low", "medium", "high"])),
    ("top_p=0.5,1", ("top_p", [0.5, 1])),
])
def test_values_read_as_json_else_text(text, expected):
    assert parse_values(text) == expected


@pytest.mark.parametrize("text", ["max_tokens", "=1,2", "max_tokens=64", "max_tokens=64,64", "max_tokens=64,,128"])
def test_malformed_sweeps_are_refused(text):
    with pytest.raises(ValueError, match="--sweep"):
        parse_values(text)


def test_folder_names():
    assert folder_name("max_tokens", 4096) == "max_tokens=4096"
    assert folder_name("reasoning_effort", "low") == "reasoning_effort=low"
    assert folder_name("stop", "a/b c") == "stop=a_b_c"


@pytest.mark.parametrize(("extra", "message"), [
    (["--sweep", "max_tokens=64,abc"], "--sweep max_tokens: the values must be int, not 'abc'"),
    (["--sweep", "max_tokens=64,128", "--max-tokens", "5"], "--sweep max_tokens and a fixed max_tokens (a flag or the model config)"),
    (["--sweep", "n=1,2"], "n is set by evalsuite"),
])
def test_refused_before_anything_runs(tmp_path, capsys, extra, message):
    out = tmp_path / "sweep"
    args = ["run", "--model", "oracle", "--benchmark", "tail/lcs", "--limit", "2", "--out", str(out), "--no-progress"]
    assert main([*args, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_plain_run_folder_is_not_turned_into_a_sweep(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", "--model", "oracle", "--benchmark", "tail/lcs", "--limit", "2", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    before = sorted(p.name for p in out.iterdir())
    assert main([*args, "--sweep", "max_tokens=64,128"]) == 2
    assert "holds something other than a sweep" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before


def test_the_swept_value_reaches_benchmarks_with_their_own_model_config_entry(tmp_path, capsys):
    """A benchmark with a ``benchmarks:`` entry in the model config takes that entry instead of the
    run's settings: the swept value must be in it too, and an entry fixing the key is refused."""
    import json

    config = tmp_path / "model.yaml"
    config.write_text("model: oracle\nbenchmarks:\n  tail: {generation: {top_p: 0.9}}\n")
    out = tmp_path / "sweep"

    def args(where):
        return ["run", "--model-config", str(config), "--benchmark", "tail/lcs", "--limit", "2", "--out", str(where),
                "--no-progress", "--sweep", "max_tokens=64,128"]

    assert main(args(out)) == 0
    for budget in (64, 128):
        generation = json.loads((out / f"max_tokens={budget}" / "config.json").read_text())["benchmarks"]["tail/lcs"]["generation"]
        assert (generation["max_tokens"], generation["top_p"]) == (budget, 0.9)

    config.write_text("model: oracle\nbenchmarks:\n  tail: {generation: {max_tokens: 32}}\n")
    assert main(args(tmp_path / "other")) == 2
    assert not (tmp_path / "other").exists()
    assert "fixed max_tokens (the model config's benchmarks.tail)" in capsys.readouterr().err
