"""4 shards x ``--epochs 4`` merge to the unsharded run; ``--shard auto`` (a Slurm job array, 0- or
1-based, or a Kubernetes Indexed Job with ``auto/N``) picks the slices ``--shard I/N`` picks."""

from __future__ import annotations

import json

import pytest

from evalsuite.cli import main
from evalsuite.core.errors import RunError
from evalsuite.engine.shards import parse_shard
from evalsuite.integrations.devserver import DevServer

from .conftest import golds, journal, results, run_args, seeded_responder

N, K = 48, 4


def by_key(run):
    return {(line["benchmark"], line["id"], line["epoch"]): line for line in journal(run)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shard-epochs")
    with DevServer(seeded_responder(golds(N)), with_body=True) as server:
        assert main(run_args(tmp / "whole", server.url, N, K, "--no-cache")) == 0
        for index in range(4):
            assert main(run_args(tmp / f"shard{index}", server.url, N, K, "--no-cache", "--shard", f"{index}/4")) == 0
        yield tmp, server


def test_four_shards_with_epochs_merge_to_the_unsharded_run(runs):
    tmp, _ = runs
    shards = [tmp / f"shard{i}" for i in range(4)]
    assert all(0 < len(journal(s)) < N * K for s in shards)
    assert main(["merge", *map(str, shards[::-1]), "--out", str(tmp / "merged")]) == 0
    merged, whole = results(tmp / "merged"), results(tmp / "whole")
    assert merged["benchmarks"] == whole["benchmarks"]
    assert by_key(tmp / "merged") == by_key(tmp / "whole")
    assert merged["run"]["epochs"] == K
    config = lambda run: json.loads((run / "config.json").read_text())  # noqa: E731
    assert config(tmp / "merged") == config(tmp / "whole")


@pytest.mark.parametrize("env, spec", [
    ({"SLURM_ARRAY_TASK_ID": "{one}", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"}, "auto"),
    ({"SLURM_ARRAY_TASK_ID": "{zero}", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, "auto/4"),
    ({"JOB_COMPLETION_INDEX": "{zero}"}, "auto/4"),
])
def test_shard_auto_picks_the_explicit_slices(runs, monkeypatch, env, spec):
    tmp, server = runs
    for name in ("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"):
        monkeypatch.delenv(name, raising=False)
    for index in range(4):
        for name, value in env.items():
            monkeypatch.setenv(name, value.format(zero=index, one=index + 1))
        out = tmp / f"auto-{spec.replace('/', '-')}-{sorted(env)[0]}-{index}"
        assert main(run_args(out, server.url, N, K, "--no-cache", "--shard", spec)) == 0
        explicit = tmp / f"shard{index}"
        assert json.loads((out / "config.json").read_text())["shard"] == [index, 4]
        assert by_key(out).keys() == by_key(explicit).keys()
        assert results(out)["benchmarks"] == results(explicit)["benchmarks"]


def test_shard_specs_and_their_errors():
    slurm = {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"}
    assert parse_shard("auto", slurm) == (2, 8)
    assert parse_shard("auto/8", slurm) == (2, 8)
    assert parse_shard("auto/5", {"JOB_COMPLETION_INDEX": "4"}) == (4, 5)
    assert parse_shard("2/3", {}) == (2, 3)
    assert parse_shard(None, {}) is None
    for spec, env, message in [
        ("auto", {}, "no array job"),
        ("auto", {"JOB_COMPLETION_INDEX": "1"}, "auto/N"),
        ("auto/4", slurm, "8 tasks, not 4"),
        ("auto", {**slurm, "SLURM_ARRAY_TASK_STEP": "2"}, "step 2"),
        ("auto", {"SLURM_ARRAY_TASK_ID": "3"}, "SLURM_ARRAY_TASK_MIN"),
        ("auto/3", {"JOB_COMPLETION_INDEX": "3"}, "0 <= I < N"),
        ("4/4", {}, "0 <= I < N"),
        ("x/4", {}, "I/N"),
        ("auto/x", {"JOB_COMPLETION_INDEX": "1"}, "integer"),
    ]:
        with pytest.raises(RunError, match=message):
            parse_shard(spec, env)


def test_the_cluster_examples_shard_as_the_cli_expects():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[2] / "examples" / "cluster"
    shards, merge, _ = yaml.safe_load_all((root / "k8s-indexed-job.yaml").read_text())
    spec = shards["spec"]
    command = spec["template"]["spec"]["containers"][0]["args"][0]
    assert spec["completionMode"] == "Indexed"
    assert f"--shard auto/{spec['completions']}" in command and "--epochs" in command
    assert "evalsuite merge" in merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
    script = (root / "slurm-array.sh").read_text()
    assert "--shard auto " in script and "evalsuite merge" in script and "#SBATCH --array=" in script
