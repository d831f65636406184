"""Credentials never reach a file, an error text or a report: canary values through every door
(the key variable, lm-eval model-args, URL user parts and query strings), then a search of every
file a run, a report and an export wrote, and of everything printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalsuite.files.redact import redact_url, scrub_argv, secret_digest
from evalsuite.integrations.devserver import DevServer

from .conftest import oracle_replies, run_cli

BENCH = "tail/compare-numbers"
CANARIES = {
    "env": "sk-canary-env-5b1f09e2",
    "arg": "sk-canary-model-arg-77c3",
    "user": "canary-url-password-91ab",
    "query": "canary-url-query-40de",
}


def every_file(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def assert_no_canary(texts: dict[str, bytes]) -> None:
    for where, data in texts.items():
        for name, canary in CANARIES.items():
            assert canary.encode() not in data, f"{name} canary in {where}"


def test_canaries_never_reach_any_written_file_or_message(tmp_path):
    replies = oracle_replies(BENCH, 4)
    broken = sorted(replies)[0]

    def responder(messages):
        if messages[-1]["content"] == broken:
            raise RuntimeError("context window exceeded")  # an error line in samples.jsonl
        return replies[messages[-1]["content"]]

    env = {"OPENAI_API_KEY": CANARIES["env"], "EVALSUITE_CACHE": str(tmp_path / "cache")}
    printed: dict[str, bytes] = {}
    with DevServer(responder) as server:
        port = server.port
        common = ["--benchmark", BENCH, "--limit", "4", "--no-progress", "--max-tokens", "256",
                  "--max-error-rate", "0.5"]
        openai = run_cli("run", "--model", "openai/dev", "--base-url", server.url, "--out", str(tmp_path / "openai"),
                         "--report", str(tmp_path / "openai.html"), *common, env=env)
        lm = run_cli("run", "--model", "lm-eval/local-chat-completions", "--out", str(tmp_path / "lm"),
                     "--model-args", f"base_url={server.url}/chat/completions,model=dev,auth_token={CANARIES['arg']}",
                     *common, env=env)
        assert openai.returncode == 0, openai.stderr[-2000:]
        assert lm.returncode == 0, lm.stderr[-2000:]
        # The key was really sent (so a leak would have had something to leak); lm-eval's local
        # classes send OPENAI_API_KEY too, and auth_token travels through identity and argv.
        assert server.stats.auth_headers == {f"Bearer {CANARIES['env']}"}
        refused = {
            "user part": run_cli("run", "--model", "openai/dev", "--out", str(tmp_path / "refused1"), *common,
                                 "--base-url", f"http://alice:{CANARIES['user']}@127.0.0.1:{port}/v1", env=env),
            "query": run_cli("run", "--model", "openai/dev", "--out", str(tmp_path / "refused2"), *common,
                             "--base-url", f"http://127.0.0.1:{port}/v1?api_key={CANARIES['query']}", env=env),
            "lm-eval query": run_cli("run", "--model", "lm-eval/local-chat-completions",
                                     "--out", str(tmp_path / "refused3"), *common, "--model-args",
                                     f"base_url=http://127.0.0.1:{port}/v1/chat/completions?token={CANARIES['query']},"
                                     "model=dev", env=env),
        }
    for name, proc in refused.items():
        assert proc.returncode == 2, (name, proc.stderr[-1000:])
        assert "carries credentials" in proc.stderr and "***" in proc.stderr
        assert not (tmp_path / f"refused{list(refused).index(name) + 1}").exists()  # refused before any file
    report = run_cli("report", str(tmp_path / "openai"), str(tmp_path / "lm"), "--out", str(tmp_path / "both.html"),
                     env=env)
    export = run_cli("export", "lm-eval", "--benchmark", BENCH, "--limit", "4", "--out", str(tmp_path / "export"),
                     env=env)
    assert report.returncode == 0 and export.returncode == 0, report.stderr + export.stderr
    for label, proc in {"openai": openai, "lm": lm, "report": report, "export": export, **refused}.items():
        printed[f"{label} stdout"] = proc.stdout.encode()
        printed[f"{label} stderr"] = proc.stderr.encode()
    files = every_file(tmp_path)
    assert {"config.json", "results.json", "samples.jsonl", "openai.html", "both.html", "replies.sqlite"} <= \
        {p.name for p in files}
    assert_no_canary({str(p): p.read_bytes() for p in files} | printed)
    # What is recorded instead: the settings verbatim, the secret as a digest or a mask.
    lm_results = json.loads((tmp_path / "lm" / "results.json").read_text())["run"]
    assert lm_results["backend"]["model_args"]["auth_token"] == secret_digest(CANARIES["arg"])
    assert lm_results["argv"][lm_results["argv"].index("--max-tokens") + 1] == "256"
    assert f"base_url={server.url}/chat/completions,model=dev,auth_token=***" in lm_results["argv"]
    errors = [json.loads(x)["error"] for x in (tmp_path / "openai" / "samples.jsonl").read_text().splitlines()]
    assert "HTTP 400: responder failed: context window exceeded" in errors


@pytest.mark.parametrize(("argv", "expected"), [
    (["--max-tokens", "256", "--temperature", "0.5"], ["--max-tokens", "256", "--temperature", "0.5"]),
    (["--max-tokens=256"], ["--max-tokens=256"]),
    (["--api-key", "sk-1"], ["--api-key", "***"]),
    (["--api-key=sk-1"], ["--api-key=***"]),
    (["--header", "X-Api-Key=sk-1"], ["--header", "X-Api-Key=***"]),
    (["--model-args", "tokenizer=gpt2,max_tokens=8,api_key=sk-1,password=p"],
     ["--model-args", "tokenizer=gpt2,max_tokens=8,api_key=***,password=***"]),
    (["--base-url", "http://u:hunter2@h:8013/v1"], ["--base-url", "http://u:***@h:8013/v1"]),
    (["token=abc", "tokenizer=gpt2"], ["token=***", "tokenizer=gpt2"]),
])
def test_argv_scrubbing_masks_secrets_and_keeps_settings(argv, expected):
    assert scrub_argv(["evalsuite", "run", *argv]) == ["evalsuite", "run", *expected]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ("http://alice:sk-1@host/v1", "http://alice:***@host/v1"),
    ("https://sk-1@host/v1", "https://***@host/v1"),
    ("http://h/v1?api-version=2024&api_key=sk-1", "http://h/v1?api-version=2024&api_key=***"),
])
def test_redact_url(url, expected):
    assert redact_url(url) == expected
