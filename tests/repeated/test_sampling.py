"""``--temperature 0.8 --epochs 3`` into a fresh ``--out`` sends three distinct requests per item
(seeds 0, 1, 2, each once); the same command again sends none, and a fresh ``--out`` with the same
cache gets the three replies back from it. At temperature 0 the run says once that K replies will
probably be identical."""

from __future__ import annotations

from collections import Counter

from evalsuite.cli import main
from evalsuite.integrations.devserver import DevServer

from .conftest import BENCH, golds, journal, reply_for, results, run_args, seeded_responder

N = 20


def test_three_epochs_at_temperature_08(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    table = golds(N)
    bodies = []

    def respond(messages, body):
        bodies.append(body)
        return seeded_responder(table)(messages, body)

    with DevServer(respond, with_body=True) as server:
        assert main(run_args(tmp_path / "a", server.url, N, 3)) == 0
        assert server.stats.seeds == {(prompt, seed): 1 for prompt in table for seed in range(3)}
        assert {body["temperature"] for body in bodies} == {0.8}
        replies = {(line["id"], line["epoch"]): line["response"] for line in journal(tmp_path / "a")}
        assert len(replies) == 3 * N
        for line in journal(tmp_path / "a"):
            assert line["response"] == reply_for(line["prompt"][-1]["content"], line["epoch"],
                                                 table[line["prompt"][-1]["content"]])
        assert len({(line["id"], line["response"]) for line in journal(tmp_path / "a")}) > N  # replies differ

        sent = server.stats.requests
        assert main(run_args(tmp_path / "a", server.url, N, 3)) == 0  # the same command: journal
        assert server.stats.requests == sent
        assert main(run_args(tmp_path / "b", server.url, N, 3)) == 0  # fresh --out: the cache, per epoch
        assert server.stats.requests == sent
        assert {(line["id"], line["epoch"]): line["response"] for line in journal(tmp_path / "b")} == replies
        assert all(line["cached"] for line in journal(tmp_path / "b"))
        assert results(tmp_path / "b")["benchmarks"] == results(tmp_path / "a")["benchmarks"]
    output = capsys.readouterr()
    assert "temperature 0" not in output.err
    assert "pass@3" in output.out and "maj@3" in output.out  # the summary table


def test_temperature_zero_warns_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EVALSUITE_CACHE", str(tmp_path / "cache"))
    table = golds(4)
    with DevServer(seeded_responder(table), with_body=True) as server:
        args = run_args(tmp_path / "run", server.url, 4, 2)
        args[args.index("--temperature") + 1] = "0"
        assert main(args) == 0
        assert main(args[:args.index("--epochs")] + args[args.index("--epochs") + 2:] + ["--out", str(tmp_path / "one")]) == 0
    err = capsys.readouterr().err
    assert err.count("will probably be identical") == 1 and "--epochs 2 at temperature 0" in err
    assert Counter(line["epoch"] for line in journal(tmp_path / "run")) == {0: 4, 1: 4}
    assert results(tmp_path / "one")["benchmarks"][BENCH].get("epochs") is None  # K = 1: as before
