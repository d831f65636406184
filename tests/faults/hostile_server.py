"""A hostile OpenAI-compatible server on loopback (aiohttp, a thread with its own loop): each
request is answered by a ``script`` callable (request number, prompt text) -> (status, raw body
bytes, headers), so a test can send what no well-behaved server would: lone surrogates, JSON
nested 100,000 deep, usage of 10**400, endless chunked bodies, escape sequences in error texts.
The start-up probe is answered "OK". The shape of a good answer is the chat-completions object
(https://platform.openai.com/docs/api-reference/chat/object: choices[0].message.content,
finish_reason, usage.prompt_tokens / completion_tokens), as evalsuite/integrations/devserver.py
builds it. Loaded by file path (tests are not a package)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web

from evalsuite.backends.probe import PROBE_PROMPT

Script = Callable[[int, str], "tuple[int, bytes | None, dict[str, str]]"]


def completion(content: str, usage: Any = None, *, raw_content: str | None = None) -> bytes:
    """A chat completion's JSON; ``raw_content`` is put in as JSON text as is (e.g. ``"\\ud800"``)."""
    body = {"id": "x", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "@@CONTENT@@"}}],
            "usage": usage if usage is not None else {"prompt_tokens": 3, "completion_tokens": 2}}
    text = json.dumps(body)
    return text.replace('"@@CONTENT@@"', raw_content if raw_content is not None else json.dumps(content)).encode()


class HostileServer:
    def __init__(self, script: Script, endless: Callable[[int, str], bool] | None = None):
        self.script, self.endless = script, endless
        self.count = 0
        self.prompts: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop_event: asyncio.Event | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> HostileServer:
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        assert self.ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        app = web.Application(client_max_size=1 << 30)
        app.router.add_post("/v1/chat/completions", self._chat)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.stop_event = asyncio.Event()
        self.ready.set()
        await self.stop_event.wait()
        await runner.cleanup()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        if prompt == PROBE_PROMPT:
            return web.Response(body=completion("OK"), content_type="application/json")
        number = self.count
        self.count += 1
        self.prompts.append(prompt)
        if self.endless is not None and self.endless(number, prompt):
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            await response.prepare(request)
            chunk = b" " * 65536
            try:
                for _ in range(1 << 20):  # up to 64 GB: only the client's cap ends it
                    await response.write(chunk)
            except (ConnectionResetError, RuntimeError):
                pass
            return response
        status, raw, headers = self.script(number, prompt)
        return web.Response(status=status, body=raw, headers={"Content-Type": "application/json", **headers})
