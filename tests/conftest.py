"""Shared fixtures: where the reference data lies, and small helpers to run the CLI."""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


REFERENCE_FILES = {  # path under the reference folder -> the `evalsuite data pull` entry with its bytes
    "uspto50k/test.csv": "uspto50k",
    "hte/suzuki_miyaura.csv": "hte-suzuki-miyaura",
    "hte/buchwald_hartwig.csv": "hte-buchwald-hartwig",
    "paroutes/ref-routes.json": "paroutes-ref-routes",
    "paroutes/routes.json": "paroutes-routes",
}
PULLED = ".cache/reference-data"  # relative to the checkout; git-ignored, kept between runs

REFUSAL = "I'm sorry, but I can't help with that."
JUNK = "Hmm, hard to say."


def mixed_replies(benchmark: str, limit: int, seed: int = 0) -> dict[str, str]:
    """Prompt text -> reply, by sample position: right (the oracle's), unparseable, a refusal, or
    another sample's right answer (right or wrong by chance), so scores differ across samples and
    extraction fails in both ways (the lm-eval and inspect_ai round trips)."""
    from evalsuite.core import registry
    from evalsuite.engine import subset

    bench = registry.create(benchmark)
    samples = list(subset.select(bench, None, seed, limit=limit))  # the samples a --limit run takes
    replies = {}
    for index, sample in enumerate(samples):
        kind = index % 4
        if kind == 0:
            text = bench.oracle_response(sample)
        elif kind == 1:
            text = JUNK
        elif kind == 2:
            text = REFUSAL
        else:
            text = bench.oracle_response(samples[(index + 1) % len(samples)])
        replies[sample.prompt_text] = text
    return replies


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of reference data files the tests read (layout: REFERENCE_FILES).

    1. ``$EVALSUITE_SHARED_DATA``, else ``../shared/data`` beside the checkout (CI lays it there),
       when it holds every file;
    2. else the files pulled by the product's own ``evalsuite data pull`` (checksum-verified)
       into ``.cache/reference-data`` of the checkout (``$EVALSUITE_REFERENCE_CACHE``
       overrides), downloading what is missing;
    3. else (no network) the tests that need the data are skipped with the command that fetches
       it; with ``CI=true`` they fail instead, so CI never passes by skipping.
    """
    given = Path(os.environ.get("EVALSUITE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if all((given / rel).is_file() for rel in REFERENCE_FILES):
        return given
    return pulled_reference_data(given)


def pulled_reference_data(given: Path) -> Path:
    from evalsuite.core import datasets

    cache = Path(os.environ.get("EVALSUITE_REFERENCE_CACHE", ROOT / PULLED))
    layout = cache / "layout"
    names = sorted(set(REFERENCE_FILES.values()))
    try:
        for rel, name in REFERENCE_FILES.items():
            # pull() returns at once when the file is there with the right checksum.
            source = datasets.pull(name, folder=cache / "data")
            target = layout / rel
            if not target.is_file() or target.stat().st_size != source.stat().st_size:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
    except (datasets.DataSetError, OSError) as exc:
        reason = (
            f"reference data not found at {given} (set EVALSUITE_SHARED_DATA) and not downloadable "
            f"now ({exc}); fetch it once with: EVALSUITE_CACHE={cache} evalsuite data pull {' '.join(names)}"
        )
        if in_ci():
            pytest.fail(reason + " [CI=true: never skipped]")
        pytest.skip(reason)
    return layout


@pytest.fixture(scope="session")
def rd():
    """Helpers that write run directories (tests/gate/rundirs.py), for the gate and report tests."""
    path = ROOT / "tests" / "gate" / "rundirs.py"
    spec = importlib.util.spec_from_file_location("evalsuite_test_rundirs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def loopback_http():
    """Real HTTP servers on 127.0.0.1 for one test, stopped at its end.

    ``serve(bodies)`` answers each path in ``bodies`` with its bytes (404 elsewhere);
    ``serve(respond=fn)`` hands every GET and POST to ``fn(handler)``, which writes the whole
    response. Either returns the server's base URL.
    """
    servers: list[ThreadingHTTPServer] = []

    def serve(bodies: Mapping[str, bytes] | None = None,
              respond: Callable[[BaseHTTPRequestHandler], None] | None = None) -> str:
        def static(handler: BaseHTTPRequestHandler) -> None:
            body = (bodies or {}).get(handler.path)
            if body is None:
                handler.send_error(404)
                return
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                (respond or static)(self)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    yield serve
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def reward_url():
    """``evalsuite serve rewards`` as a real process on a free loopback port (one grade worker)."""
    import asyncio

    spec = importlib.util.spec_from_file_location("reward_server_mix", Path(__file__).parents[1] / "bench" / "reward_server_mix.py")
    mix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mix)
    port = mix.free_port()
    process = mix.start_server(port, 5.0, workers=1)
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(mix.wait_healthy(url))
        yield url
    finally:
        process.kill()
        process.wait()
