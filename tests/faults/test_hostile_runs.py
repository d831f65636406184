"""Issue 30 items 6-9, 11-13 and 15, over a real loopback server and real run folders: hostile
replies and journal lines end in a finished run after one resume; an endless reply is capped; a
run folder is locked; planted symlinks are replaced or refused, never written through; header
values never reach a file or the terminal; terminal escapes in server errors are shown, not sent;
a corrupted reply cache is one line with the way on."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalsuite.cli import main
from evalsuite.core import registry
from evalsuite.engine import subset
from evalsuite.engine.rundir import lock_run_dir

BENCH = "tail/large-number-addition"
N = 8


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


H = _load("hostile_server")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """An empty reply cache for this test only."""
    path = tmp_path / "cache"
    monkeypatch.setenv("EVALSUITE_CACHE", str(path))
    return path


def oracle_table(limit: int = N) -> list[tuple[str, str]]:
    bench = registry.create(BENCH)
    return [(s.messages[-1]["content"], bench.oracle_response(s)) for s in subset.select(bench, None, 0, limit=limit)]


def run(out: Path, url: str, *extra: str) -> int:
    return main(["run", "--model", "openai/hostile", "--base-url", url, "--benchmark", BENCH, "--limit", str(N),
                 "--out", str(out), "--no-progress", "--retry-base-delay", "0.01", *extra])


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_hostile_replies_and_journal_lines_end_in_a_finished_run(tmp_path, cache_dir, capsys):
    table = oracle_table()
    index = {prompt: i for i, (prompt, _) in enumerate(table)}
    right = dict(table)
    attempts: dict[int, int] = {}

    def script(number, prompt):
        i = index[prompt]
        attempts[i] = attempts.get(i, 0) + 1
        if i == 0:  # a lone surrogate, as JSON escapes it: the answer is spoiled, the run must not be
            return 200, H.completion("", raw_content='"Final Answer: \\ud800"'), {}
        if i == 1 and attempts[i] == 1:  # nested 100,000 deep: malformed, retried
            deep = "[" * 100_000 + "]" * 100_000
            return 200, b'{"choices": [{"message": {"content": "x"}, "deep": ' + deep.encode() + b"}]}", {}
        if i == 2:
            return 200, H.completion(right[prompt], {"prompt_tokens": 3, "completion_tokens": 10**400}), {}
        if i == 3:
            return 200, H.completion(right[prompt], {"prompt_tokens": True, "completion_tokens": -5}), {}
        return 200, H.completion(right[prompt]), {}

    out = tmp_path / "run"
    with H.HostileServer(script) as server:
        assert run(out, server.url) == 0
        records = {r["id"]: r for r in lines(out / "samples.jsonl")}
        assert len(records) == N
        by_prompt = {r["prompt"][-1]["content"]: r for r in records.values()}
        spoiled = by_prompt[table[0][0]]
        assert spoiled["response"] == "Final Answer: \ufffd" and spoiled["usage"]["replaced_surrogates"] == 1
        assert spoiled["scores"]["accuracy"] == 0.0
        assert by_prompt[table[2][0]]["usage"] == {"invalid": 1}
        assert by_prompt[table[3][0]]["usage"] == {"invalid": 1}
        first = json.loads((out / "results.json").read_text())
        # 7 of 8 right (only the spoiled one is wrong); 6 usages valid, each 2 completion tokens
        assert first["benchmarks"][BENCH]["metrics"]["accuracy"]["value"] == pytest.approx(7 / 8)
        usage = first["accounting"]["benchmarks"][BENCH] if "benchmarks" in first["accounting"] else first["accounting"]
        assert json.dumps(usage).find("1000000000000000") == -1  # 10**400 counted nowhere

        # five journal lines no run writes, each in place of a real one
        journal = out / "samples.jsonl"
        raw = journal.read_text(encoding="utf-8").splitlines()
        victims = [json.loads(raw[k]) for k in range(1, 6)]
        bad = [
            json.dumps({"benchmark": BENCH, "id": victims[0]["id"], "deep": []}).replace("[]", "[" * 50_000 + "]" * 50_000),
            json.dumps({**victims[1], "scores": ["not", "an", "object"], "metadata": 7}),
            json.dumps({**victims[2], "scores": {"accuracy": float("nan")}}),
            json.dumps({**victims[3], "scores": {"accuracy": float("inf")}}),
            json.dumps({**victims[4]}).replace('"epoch": 0', '"epoch": 1e400') if '"epoch": 0' in raw[5]
            else json.dumps({**victims[4]})[:-1] + ', "epoch": 1e400}',
        ]
        for k, line in zip(range(1, 6), bad, strict=True):
            raw[k] = line
        journal.write_text("\n".join(raw) + "\n", encoding="utf-8")
        capsys.readouterr()
        assert run(out, server.url) == 0
        err = capsys.readouterr().err
    for number in range(2, 7):
        assert f"line {number} skipped" in err, err
    again = json.loads((out / "results.json").read_text())
    def asked(data: dict) -> int:  # replies requested (from the server or the cache), over the run's sessions
        return data["run"]["requests"]["sent_to_model"] + data["run"]["requests"]["from_cache"]

    assert asked(again) - asked(first) == 5, again["run"]["requests"]  # the five dropped samples, no more
    assert again["benchmarks"][BENCH]["metrics"]["accuracy"]["value"] == pytest.approx(7 / 8)
    assert len(lines(journal)) == N

    # the gate reads a run folder holding such a line as bad input: exit 2, not the regression code
    raw = journal.read_text(encoding="utf-8").splitlines()
    raw[0] = bad[0]
    journal.write_text("\n".join(raw) + "\n", encoding="utf-8")
    assert main(["gate", "--baseline", str(out), "--candidate", str(out)]) == 2


def test_an_endless_reply_is_cut_at_max_reply_bytes(tmp_path, cache_dir):
    table = dict(oracle_table(2))
    first = next(iter(table))

    def script(number, prompt):
        return 200, H.completion(table[prompt]), {}

    out = tmp_path / "run"
    with H.HostileServer(script, endless=lambda number, prompt: prompt == first) as server:
        start = time.perf_counter()
        code = main(["run", "--model", "openai/hostile", "--base-url", server.url, "--benchmark", BENCH, "--limit", "2",
                     "--out", str(out), "--no-progress", "--max-reply-bytes", str(1 << 20), "--max-error-rate", "1"])
        took = time.perf_counter() - start
    assert code == 0 and took < 60
    errors = [r["error"] for r in lines(out / "samples.jsonl") if r["error"]]
    assert errors == [f"reply body over {1 << 20} bytes (--max-reply-bytes)"]


def test_one_run_at_a_time_per_folder_and_a_stale_lock_is_taken_over(tmp_path, cache_dir, capsys):
    table = dict(oracle_table())
    out = tmp_path / "run"
    with H.HostileServer(lambda n, p: (200, H.completion(table[p]), {})) as server:
        with lock_run_dir(out):
            assert run(out, server.url) == 2
        assert "another evalsuite run" in capsys.readouterr().err
        assert server.count == 0  # refused before any request
        # a holder killed with SIGKILL leaves the file, not the lock
        holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom evalsuite.engine.rundir import "
                                   "lock_run_dir\nwith lock_run_dir(sys.argv[1]):\n    print('held', flush=True)\n"
                                   "    time.sleep(600)", str(out)], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert run(out, server.url) == 0
        assert server.count == N


def test_a_run_that_failed_before_its_first_sample_does_not_block_a_corrected_retry(tmp_path, cache_dir):
    table = dict(oracle_table())
    out = tmp_path / "run"
    with H.HostileServer(lambda n, p: (200, H.completion(table[p]), {})) as server:
        dead = server.url.replace(str(server.port), "1")  # nobody listens on port 1
        assert run(out, dead, "--max-retries", "0") == 2
        assert run(out, server.url, "--max-tokens", "512") == 0  # other options: not "a different configuration"
    assert len(lines(out / "samples.jsonl")) == N


def test_planted_symlinks_are_replaced_or_refused(tmp_path, cache_dir):
    table = dict(oracle_table())
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "run"
    out.mkdir()
    (out / "samples.jsonl").symlink_to(tmp_path / "elsewhere.jsonl")  # dangling: would be created by a follow
    with H.HostileServer(lambda n, p: (200, H.completion(table[p]), {})) as server:
        assert run(out, server.url) == 2
        assert not (tmp_path / "elsewhere.jsonl").exists()
        (out / "samples.jsonl").unlink()
        (out / "results.json").symlink_to(victim)
        report = tmp_path / "report.html"
        report.symlink_to(victim)
        assert run(out, server.url, "--report", str(report)) == 0
    assert victim.read_text() == "precious\n"
    assert not (out / "results.json").is_symlink() and json.loads((out / "results.json").read_text())["run"]
    assert not report.is_symlink() and "<html" in report.read_text().lower()
    train = tmp_path / "train.jsonl"
    train.symlink_to(victim)
    (tmp_path / "train.jsonl.part").symlink_to(tmp_path / "part-target")
    assert main(["export", "train", "--benchmark", BENCH, "--n", "3", "--format", "sft", "--out", str(train)]) == 0
    assert victim.read_text() == "precious\n" and not (tmp_path / "part-target").exists()
    assert not train.is_symlink() and len(train.read_text().splitlines()) >= 3


CANARY = "CANARY-7f3a9d"


def test_header_values_and_terminal_escapes_never_reach_files_or_the_terminal(tmp_path, cache_dir, capsys,
                                                                               monkeypatch):
    escape = "\x1b]0;owned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J"
    message = {"error": {"message": f"bad credentials {CANARY} {escape}"}}

    def script(number, prompt):
        return 401, json.dumps(message).encode(), {}

    out = tmp_path / "run"
    argv = ["evalsuite", "run", "--hea", f"X-Third={CANARY}"]
    monkeypatch.setattr(sys, "argv", argv)
    with H.HostileServer(script) as server:
        code = main(["run", "--model", "openai/hostile", "--base-url", server.url, "--benchmark", BENCH,
                     "--limit", "2", "--out", str(out), "--no-progress", "--hea", f"X-Third={CANARY}",
                     "--max-error-rate", "1"])
    assert code == 1  # every sample failed: the run is written, not trusted
    captured = capsys.readouterr()
    for path in out.iterdir():
        assert CANARY not in path.read_text(encoding="utf-8", errors="replace"), path.name
    assert CANARY not in captured.out + captured.err
    assert "\x1b" not in captured.out + captured.err and "\x07" not in captured.out + captured.err
    assert "\\x1b]52" in (out / "samples.jsonl").read_text() or "\\\\x1b]52" in (out / "samples.jsonl").read_text()
    results = json.loads((out / "results.json").read_text())
    assert CANARY not in json.dumps(results["run"].get("argv", results["run"]))


def test_a_corrupted_reply_cache_is_one_line_with_the_way_on(tmp_path, monkeypatch, capsys):
    cache = tmp_path / "replies.sqlite"
    cache.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    table = dict(oracle_table())
    with H.HostileServer(lambda n, p: (200, H.completion(table[p]), {})) as server:
        assert run(tmp_path / "run", server.url, "--cache", str(cache)) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--no-cache" in err and str(cache) in err and "Traceback" not in err
        assert run(tmp_path / "run", server.url, "--no-cache") == 0


def test_the_report_tolerates_infinite_group_values(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--model", "oracle", "--benchmark", BENCH, "--limit", "6", "--out", str(out), "--no-progress",
                 "--no-cache"]) == 0
    results = json.loads((out / "results.json").read_text())
    groups = results["benchmarks"][BENCH]["groups"]["bucket"]
    values = iter([float("inf"), 1e308, float("-inf"), -1e308])
    for entry in groups.values():
        entry["metrics"]["accuracy"]["value"] = next(values, 1e308)
    (out / "results.json").write_text(json.dumps(results))  # Infinity, as Python's json writes it
    assert main(["report", str(out), "--out", str(tmp_path / "report.html")]) == 0
    assert "<svg" in (tmp_path / "report.html").read_text()


def test_a_policy_with_mixed_key_types_is_bad_input(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--model", "oracle", "--benchmark", BENCH, "--limit", "4", "--out", str(out), "--no-progress",
                 "--no-cache"]) == 0
    policy = tmp_path / "policy.yaml"
    policy.write_text("1: 2\nalpha: 0.05\nzeta: 3\n")
    assert main(["gate", "--baseline", str(out), "--candidate", str(out), "--policy", str(policy)]) == 2


def test_a_workbook_bomb_is_refused_before_it_is_parsed(tmp_path, loopback_http):
    """Issue 30 item 14: a 0.1 MB workbook holding 128 MB of XML is refused from its zip's
    declared sizes, in well under a second, and nothing is left in the data folder."""
    import io
    import zipfile

    from evalsuite.core.datasets import pull
    from evalsuite.core.errors import DataSetError

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<c><v>1</v></c>" * (128 * 1024 * 1024 // 15))
    bomb = buffer.getvalue()
    assert len(bomb) < 1_000_000
    url = loopback_http({"/book.xlsx": bomb})
    start = time.perf_counter()
    with pytest.raises(DataSetError, match="expands to"):
        pull("hte-suzuki-miyaura", url + "/book.xlsx", folder=tmp_path / "data")
    assert time.perf_counter() - start < 10
    assert list((tmp_path / "data").iterdir()) == []
