"""Small things a new user meets first (issue 31, item 11): a replay run's default folder, a
misspelled flag answered with its command's usage, a failed download that says what to do."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from evalsuite.engine.model_config import default_out


def evalsuite(*args, env=None):
    return subprocess.run([sys.executable, "-m", "evalsuite", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_replay_run_is_named_after_its_file():
    assert default_out("replay/examples/pr-replies.jsonl") == Path("runs/pr-replies")
    assert default_out("openai/Intern-S1") == Path("runs/Intern-S1")


def test_misspelled_flag_prints_the_commands_usage():
    done = evalsuite("run", "--model", "oracle", "--benchmark", "tail/lcs", "--limt", "3")
    assert done.returncode == 2
    assert "usage: evalsuite run" in done.stderr and "unrecognized arguments: --limt 3" in done.stderr


def test_failed_download_names_the_next_step(tmp_path):
    with socket.socket() as probe:  # a loopback port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    import os

    env = {**os.environ, "EVALSUITE_CACHE": str(tmp_path)}
    done = evalsuite("data", "pull", "uspto50k", "--url", f"http://127.0.0.1:{port}/x.csv", env=env)
    assert done.returncode == 1
    assert "cannot download uspto50k" in done.stderr and "--data PATH" in done.stderr
    assert "Traceback" not in done.stderr
