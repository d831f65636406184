"""A small OpenAI-compatible chat-completions server on loopback, for tests and benchmarks.

It is asynchronous (aiohttp): a thread-per-request server tops out near 350 requests/s and a
throughput benchmark would measure the server instead of the client. Replies come from a ``responder``
callable (messages -> text, or a ``DevReply`` with reasoning). ``Faults`` injects, at configurable rates, the failures a real
inference server shows: 429 with Retry-After, 500/503, hangs past the client timeout, dropped
connections (half before any byte, half mid-body), malformed JSON, empty choice lists, plus a
fixed latency.

It emulates a reasoning server (vLLM, SGLang, LMDeploy with a reasoning parser): a ``DevReply``'s
reasoning goes back in ``reasoning_content`` (content null when there is none) or inline as a
``<think>`` block; whitespace-separated words count as tokens, so ``usage`` reports prompt,
completion and reasoning tokens, and a reply longer than the request's ``max_tokens`` /
``max_completion_tokens`` is cut there with ``finish_reason: "length"``. A ``DevReply``'s ``shape``
sends it field for field as vLLM, SGLang or LMDeploy do, or as a DeepSeek-R1 reply with no
reasoning parser (``reply_shape``, each cited to the server's source file), and its
``finish_reason`` may say the server gave up (``abort``). Every request's body and
headers are kept in ``stats.bodies`` / ``stats.headers`` (unless ``record_prompts`` is off).

evalsuite's start-up probe (one request with ``PROBE_PROMPT``, see ``backends/probe.py``) is
answered "OK" at once, without faults or latency, and counted only in ``stats.probes``: a real
server answers any prompt, a test's responder knows only the benchmark's, and the request
counts tests assert stay those of the samples.

``n`` (several completions for one prompt, as vLLM and the OpenAI API answer it): choice ``i`` is
the responder's reply to the same body with ``seed + i``, so an ``n: K`` request and K separate
requests with seeds ``s .. s+K-1`` get the same replies (``stats.seeds`` counts each choice);
``n_support="reject"`` answers 400 instead, ``"ignore"`` one choice. With ``prefix_window`` W the
server keeps the prompts of its last W requests and counts, per request, the longest common prefix
(in characters) with any of them as a simulated prefix-cache hit (``stats.prefix_hit_rate``).

Run it in-process with ``with DevServer(responder) as server: server.url`` (a background thread
with its own event loop), or as a script: ``python -m evalsuite.integrations.devserver --port 8000``.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evalsuite.backends.probe import PROBE_PROMPT

Responder = Callable[..., "str | DevReply"]
"""messages -> reply text; with ``DevServer(..., with_body=True)``: (messages, request body) -> text,
so a test can answer by the request's ``seed`` (``--epochs``)."""

SHAPES = ("plain", "vllm", "vllm-0.10", "sglang", "lmdeploy", "r1")


@dataclass(frozen=True)
class DevReply:
    """A reply with reasoning: ``inline`` sends it as ``<think>reasoning</think>content``,
    otherwise as ``reasoning_content`` beside ``content`` (None: a null content).

    ``shape`` sends it exactly as one server does (``reply_shape``): ``vllm``, ``vllm-0.10``,
    ``sglang``, ``lmdeploy``, or ``r1`` (no reasoning parser: ``reasoning</think>content``, no
    opening tag). ``finish_reason`` overrides the server's (``"abort"``: LMDeploy's aborted
    session, sent with content ``""``)."""

    content: str | None
    reasoning: str | None = None
    inline: bool = False
    shape: str = "plain"
    finish_reason: str | None = None



def echo_responder(messages: list[dict[str, str]]) -> str:
    return "Final Answer: " + messages[-1]["content"][-40:]


@dataclass
class Faults:
    """Fault rates (each a probability per request, drawn in this order) and fixed latency."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    hang: float = 0.0
    drop: float = 0.0
    malformed: float = 0.0
    empty_choices: float = 0.0
    latency_s: float = 0.0
    retry_after_s: float = 0.05
    hang_s: float = 30.0
    seed: int = 0

    @classmethod
    def mixed(cls, total: float, **kwargs: Any) -> Faults:
        """``total`` failure probability spread evenly over the six fault kinds."""
        each = total / 6
        return cls(rate_limit=each, server_error=each, hang=each, drop=each, malformed=each,
                   empty_choices=each, **kwargs)


@dataclass
class ServerStats:
    """Counters; ``prompts`` counts every request per prompt (last message), ``successes`` the
    ones answered with a reply."""

    requests: int = 0
    faults: Counter = field(default_factory=Counter)
    prompts: Counter = field(default_factory=Counter)
    successes: Counter = field(default_factory=Counter)
    seeds: Counter = field(default_factory=Counter)
    """requests per (prompt, seed sent)"""
    auth_headers: set = field(default_factory=set)
    probes: int = 0
    bodies: list = field(default_factory=list)
    headers: list = field(default_factory=list)
    prefix_hit_chars: int = 0
    prefix_prompt_chars: int = 0

    @property
    def prefix_hit_rate(self) -> float | None:
        """Share of prompt characters a prefix cache of the last ``prefix_window`` prompts held."""
        return self.prefix_hit_chars / self.prefix_prompt_chars if self.prefix_prompt_chars else None


class DevServer:
    def __init__(
        self,
        responder: Responder = echo_responder,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        record_prompts: bool = True,
        with_body: bool = False,
        n_support: str = "honour",
        prefix_window: int = 0,
    ):
        if n_support not in ("honour", "reject", "ignore"):
            raise ValueError(f"n_support must be honour, reject or ignore, not {n_support!r}")
        self.n_support = n_support
        self.prefix_cache = PrefixCache(prefix_window) if prefix_window > 0 else None
        self.responder = responder
        self.with_body = with_body
        self.faults = faults or Faults()
        self.host, self.port = host, port
        self.record_prompts = record_prompts
        self.stats = ServerStats()
        self._rng = random.Random(self.faults.seed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: Any = None  # aiohttp's AppRunner once started (aiohttp loads lazily)
        self._ready = threading.Event()
        self._lock = threading.Lock()

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="devserver", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("dev server did not start")

    def stop(self) -> None:
        if self._loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        future.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._startup())
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _startup(self) -> None:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # port 0 -> the OS's pick

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers ----------------------------------------------------------------------------
    async def _models(self, request):
        from aiohttp import web

        return web.json_response({"object": "list", "data": [{"id": "dev", "object": "model"}]})

    def _draw_fault(self) -> str | None:
        f = self.faults
        with self._lock:
            roll = self._rng.random()
        for name, rate in (
            ("rate_limit", f.rate_limit),
            ("server_error", f.server_error),
            ("hang", f.hang),
            ("drop", f.drop),
            ("malformed", f.malformed),
            ("empty_choices", f.empty_choices),
        ):
            if roll < rate:
                return name
            roll -= rate
        return None

    async def _chat(self, request):
        from aiohttp import web

        body = await request.json()
        messages = body.get("messages") or []
        prompt = messages[-1].get("content", "") if messages else ""
        if prompt == PROBE_PROMPT and len(messages) == 1:
            with self._lock:
                self.stats.probes += 1
            return web.json_response(completion(body, "OK", choices=["OK"] * self._choices(body)))
        if not isinstance(prompt, str):  # a list of parts (pictures): counted by its JSON text
            prompt = json.dumps(prompt, sort_keys=True)
        with self._lock:
            self.stats.requests += 1
            if self.record_prompts:
                self.stats.prompts[prompt] += 1
                for seed in choice_seeds(body.get("seed"), self._choices(body)):
                    self.stats.seeds[(prompt, seed)] += 1
                self.stats.bodies.append(body)
                self.stats.headers.append(dict(request.headers))
            if "Authorization" in request.headers:
                self.stats.auth_headers.add(request.headers["Authorization"])
        if self.prefix_cache is not None:
            self._count_prefix(messages)
        if self.n_support == "reject" and self._asked_n(body) > 1:
            return web.json_response({"error": {"message": "n > 1 is not supported", "type": "invalid_request_error",
                                                "param": "n"}}, status=400)
        if self.faults.latency_s:
            await asyncio.sleep(self.faults.latency_s)
        fault = self._draw_fault()
        if fault is not None:
            with self._lock:
                self.stats.faults[fault] += 1
        if fault == "rate_limit":
            return web.json_response(
                {"error": {"message": "rate limited", "type": "rate_limit"}},
                status=429,
                headers={"Retry-After": f"{self.faults.retry_after_s:g}"},
            )
        if fault == "server_error":
            status = 500 if self._rng.random() < 0.5 else 503
            return web.json_response({"error": {"message": "overloaded"}}, status=status)
        if fault == "hang":
            await asyncio.sleep(self.faults.hang_s)  # past the client's timeout: it has gone
            request.transport.close()  # never a late success the client cannot see
            return web.Response(status=500)
        if fault == "drop":
            if self._rng.random() < 0.5:
                request.transport.close()  # cut before any response byte
                return web.Response(status=500)
            # Cut mid-response: status and headers promise the whole body, half of it comes.
            payload = json.dumps(completion(body, "x" * 200)).encode()
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            response.content_length = len(payload)
            await response.prepare(request)
            await response.write(payload[: len(payload) // 2])
            request.transport.close()
            return response
        if fault == "malformed":
            return web.Response(text='{"choices": [ {"message": ', content_type="application/json")
        if fault == "empty_choices":
            return web.json_response({"id": "x", "object": "chat.completion", "choices": []})
        try:
            texts = self._answers(messages, body)
        except Exception as exc:  # noqa: BLE001 - a broken responder is a test bug: show it as a 400
            return web.json_response({"error": {"message": f"responder failed: {exc}"}}, status=400)
        if self.record_prompts:
            with self._lock:
                self.stats.successes[prompt] += 1
        return web.json_response(completion(body, texts[0], choices=texts))

    # -- n sampling and the simulated prefix cache --------------------------------------------
    @staticmethod
    def _asked_n(body: dict[str, Any]) -> int:
        n = body.get("n")
        return n if isinstance(n, int) and n > 1 else 1

    def _choices(self, body: dict[str, Any]) -> int:
        return 1 if self.n_support != "honour" else self._asked_n(body)

    def _answers(self, messages: list[dict[str, Any]], body: dict[str, Any]) -> list[str | DevReply]:
        """One reply per choice; choice i answers the body with ``seed + i`` (see the module doc)."""
        if not self.with_body:
            return [self.responder(messages) for _ in range(self._choices(body))]
        return [self.responder(messages, {**body, "seed": seed} if seed is not None else body)
                for seed in choice_seeds(body.get("seed"), self._choices(body))]

    def _count_prefix(self, messages: list[dict[str, Any]]) -> None:
        text = "".join(f"{m.get('role')}\n{text_of(m.get('content'))}\n" for m in messages if isinstance(m, dict))
        assert self.prefix_cache is not None
        with self._lock:
            hit = self.prefix_cache.lookup(text)
            self.stats.prefix_hit_chars += hit
            self.stats.prefix_prompt_chars += len(text)


def words(text: str | None) -> list[str]:
    return text.split() if text else []


def text_of(content: Any) -> str:
    """A message's text: the string, or its text parts joined (image parts count no tokens here)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(part.get("text") or "" for part in content if isinstance(part, dict) and part.get("type") == "text")
    return ""


class PrefixCache:
    """The prompts of the last ``window`` requests; a new prompt's hit is its longest common
    prefix with any of them (a server's prefix cache holds the KV blocks of recent prompts)."""

    def __init__(self, window: int):
        from collections import deque

        self.recent: deque[str] = deque(maxlen=window)

    def lookup(self, text: str) -> int:
        import os.path

        # Characters, not path parts, are what a prompt shares with another.
        hit = max((len(os.path.commonprefix([text, seen])) for seen in self.recent), default=0)  # noqa: RUF071
        self.recent.append(text)
        return hit


def choice_seeds(seed: Any, count: int) -> list[Any]:
    """The seed each choice of an ``n``-request stands for: ``seed + i`` (None stays None)."""
    return [seed + i if isinstance(seed, int) else seed for i in range(count)]


def completion(body: dict[str, Any], reply: str | DevReply, choices: list[str | DevReply] | None = None) -> dict[str, Any]:
    """A chat.completion object answering ``body`` with ``reply`` (or with each of ``choices``, the
    prompt counted once in ``usage``), cut at the request's token limit (whitespace words as
    tokens: reasoning first, then content)."""
    if choices is not None and len(choices) > 1:
        parts = [completion(body, choice) for choice in choices]
        summed = dict(parts[0]["usage"])  # the prompt once: it is prefilled once
        summed["completion_tokens"] = sum(p["usage"]["completion_tokens"] for p in parts)
        summed["total_tokens"] = summed["prompt_tokens"] + summed["completion_tokens"]
        if any("completion_tokens_details" in p["usage"] for p in parts):
            summed["completion_tokens_details"] = {"reasoning_tokens": sum(
                p["usage"].get("completion_tokens_details", {}).get("reasoning_tokens", 0) for p in parts)}
        return {**parts[0], "usage": summed,
                "choices": [{**p["choices"][0], "index": i} for i, p in enumerate(parts)]}
    if choices:
        reply = choices[0]
    if isinstance(reply, str):
        reply = DevReply(reply)
    content, reasoning = reply.content, reply.reasoning
    limit = body.get("max_tokens") or body.get("max_completion_tokens")
    thought, said = words(reasoning), words(content)
    finish = "stop"
    if isinstance(limit, int) and len(thought) + len(said) > limit:
        finish = "length"
        if len(thought) >= limit:
            reasoning, content = " ".join(thought[:limit]), None
        else:
            content = " ".join(said[:limit - len(thought)])
        thought, said = words(reasoning), words(content)
    finish = reply.finish_reason or finish
    prompt_tokens = sum(len(words(text_of(m.get("content")))) for m in body.get("messages") or [] if isinstance(m, dict))
    usage: dict[str, Any] = {"prompt_tokens": prompt_tokens, "completion_tokens": len(thought) + len(said),
                             "total_tokens": prompt_tokens + len(thought) + len(said)}
    choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
    if reply.shape != "plain":
        choice.update(reply_shape(reply.shape, content, reasoning, finish, usage, len(thought)))
    else:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reasoning is not None and reply.inline:
            closed = "</think>" if finish == "stop" or content is not None else ""
            message["content"] = f"<think>{reasoning}{closed}{content or ''}"
        elif reasoning is not None:
            message["reasoning_content"] = reasoning
        if reasoning is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": len(thought)}
        choice["message"] = message
    return {
        "id": "chatcmpl-dev",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "dev"),
        "choices": [choice],
        "usage": usage,
    }


def reply_shape(shape: str, content: str | None, reasoning: str | None, finish: str, usage: dict[str, Any],
                reasoning_tokens: int) -> dict[str, Any]:
    """The choice's fields (message first) as the named server writes a non-streamed reply;
    ``usage`` is completed in place."""
    if shape in ("vllm", "vllm-0.10"):
        # vllm/entrypoints/openai/chat_completion/protocol.py: ChatMessage{role, content, refusal,
        # annotations, audio, function_call, tool_calls (dropped when empty), reasoning};
        # ChatCompletionResponseChoice{..., stop_reason, token_ids}; UsageInfo has no reasoning
        # tokens. The field was ``reasoning_content`` until vllm-project/vllm#27752 (both sent)
        # and #33402 (``reasoning`` alone): "vllm-0.10" is the reply of a release before the rename.
        key = "reasoning_content" if shape == "vllm-0.10" else "reasoning"
        usage["prompt_tokens_details"] = None
        message = {"role": "assistant", "content": content, "refusal": None, "annotations": None, "audio": None,
                   "function_call": None, key: reasoning}
        return {"message": message, "logprobs": None, "stop_reason": None, "token_ids": None}
    if shape == "sglang":
        # sglang/srt/entrypoints/openai/serving_chat.py (non-stream builder): content is "" rather
        # than null when only reasoning came; protocol.py ChatMessage{role, content,
        # reasoning_content, tool_calls (dropped when None)}; usage_processor.py: a flat
        # ``reasoning_tokens`` always, ``completion_tokens_details`` only when it is above 0.
        usage["prompt_tokens_details"] = None
        usage["reasoning_tokens"] = reasoning_tokens
        if reasoning_tokens > 0:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        message = {"role": "assistant", "content": content or "", "reasoning_content": reasoning}
        return {"message": message, "logprobs": None, "matched_stop": None}
    if shape == "lmdeploy":
        # lmdeploy/serve/openai/protocol.py: ChatMessage{role, content, reasoning_content,
        # tool_calls}; finish_reason in stop, length, tool_calls, parse_error, error, abort.
        # serve/core/async_engine.py answers a stopped or stale session with response '' and
        # finish_reason 'abort' (HTTP 200); usage carries completion_tokens_details.reasoning_tokens.
        if reasoning_tokens > 0:
            usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
        message = {"role": "assistant", "content": "" if finish == "abort" else content,
                   "reasoning_content": reasoning, "tool_calls": None}
        return {"message": message, "logprobs": None}
    if shape == "r1":
        # No reasoning parser (any server) behind a DeepSeek-R1 style template, whose generation
        # prompt ends in "<think>\n": the reply starts inside the reasoning and only closes it.
        closed = "\n</think>\n\n" if finish == "stop" or content is not None else ""
        text = f"{reasoning or ''}{closed}{content or ''}" if reasoning is not None else content
        return {"message": {"role": "assistant", "content": text}, "logprobs": None}
    raise ValueError(f"unknown reply shape {shape!r} (known: {', '.join(SHAPES)})")


def replies_responder(path: str) -> Responder:
    """Answers from a JSON Lines file of ``{"prompt": last user message, "reply": text}``."""
    import json

    table: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                table[row["prompt"]] = row["reply"]
    return lambda messages: table[messages[-1]["content"]]


def by_image_hash(table: dict[str, str], default: str = "I see no picture I know.") -> Responder:
    """Answers a prompt with pictures from ``table`` (SHA-256 of the last picture -> reply), as a
    vision model that recognises exactly those pictures would."""
    from evalsuite.core.images import hashes_sent

    def respond(messages: list[dict[str, Any]]) -> str:
        sent = hashes_sent(messages)
        return table.get(sent[-1], default) if sent else default

    return respond


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests failing, all kinds mixed")
    parser.add_argument("--prefix-window", type=int, default=0,
                        help="simulate a prefix cache of the last N prompts (hit rate printed at exit)")
    parser.add_argument("--replies", help='JSON Lines {"prompt", "reply"}: answer each prompt with its reply')
    args = parser.parse_args(argv)
    responder = replies_responder(args.replies) if args.replies else echo_responder
    server = DevServer(responder, faults=Faults.mixed(args.fault_rate, latency_s=args.latency),
                       host=args.host, port=args.port, record_prompts=False, prefix_window=args.prefix_window)
    server.start()
    print(f"serving on {server.url}", flush=True)  # the first line: scripts read the URL from it
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        if server.stats.prefix_hit_rate is not None:
            print(f"simulated prefix-cache hit rate: {server.stats.prefix_hit_rate:.1%}", flush=True)


if __name__ == "__main__":
    main()
