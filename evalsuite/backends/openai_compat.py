"""Any OpenAI-compatible chat server (vLLM, SGLang, LMDeploy, llama.cpp, Ollama, the OpenAI API).

One ``POST {base_url}/chat/completions`` per attempt on a shared aiohttp session. We speak the
wire format directly instead of through the ``openai`` SDK: on a 2-core machine the SDK's
request building (httpx models, auth hooks, header merging: several ms a request) held a
2,000-sample run to 93 samples/s; on aiohttp directly the same run does 850 (bench/throughput.py).
The request body is the chat-completions JSON: model, messages, temperature, the token limit
(``max_tokens``, or ``max_completion_tokens`` for servers that want it: ``max_tokens_param``),
stop, seed, ``n`` (K epochs in one request, see ``n_choices``), the optional sampling fields that are set (top_p, top_k, min_p, penalties,
reasoning_effort) and any extra body fields (``--gen-arg``). The reply keeps
``choices[0].message.content`` as its text and ``reasoning_content`` / ``reasoning`` apart, with
the usage, finish reason, latency and attempts (docs/contracts.md#samplesjsonl).

Extra headers (``--header NAME=VALUE``) go with every request; like the API key, their values
stay in memory: ``identity()`` names the headers, never their values.

The request timeout follows the token limit unless ``--timeout`` fixes it: a thinking model
writing 30,000 tokens at 50 tokens/s needs 10 minutes, so the default allows
``max_tokens / TIMEOUT_TOKENS_PER_S`` seconds, never less than ``MIN_TIMEOUT_S``.

The retry policy is ours, because a benchmark run needs different rules than an interactive app:
- 429: wait what ``Retry-After`` says (capped), then retry;
- 5xx, 408, 409, timeouts, dropped connections, malformed or empty responses, and a 200 whose
  ``finish_reason`` says the server gave up (``GAVE_UP``: ``abort``, ``error``): exponential
  backoff with full jitter, up to ``max_retries``; then the sample has no reply (an error,
  counted in ``error_rate``, never scored);
- any other 4xx: the sample fails at once with the server's message (retrying cannot help).
Several base URLs are replicas of one model: requests go round-robin to replicas that are not
cooling down after a refused connection, so a dead replica is routed around.

The model, not the address, is the backend's identity: the same model reached through another
URL (``localhost`` for ``127.0.0.1``, a new port or pod) resumes the run and finds its cached
replies; the URLs are provenance (``endpoints``). A URL carrying credentials is refused
(``evalsuite.files.redact``). ``probe`` (before the first request) makes a dead or wrong URL fail in
seconds instead of after every sample's retries.
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import json
import os
import random
import re
import time
from dataclasses import dataclass
from typing import Any

from evalsuite.backends.base import Request
from evalsuite.backends.error_text import error_message
from evalsuite.backends.probe import probe_replicas
from evalsuite.core import images
from evalsuite.core.errors import BackendError
from evalsuite.core.types import Reply
from evalsuite.files.redact import Scrubber, redact_url, reject_url_credentials

MAX_RETRY_AFTER_S = 120.0
PROBE_TIMEOUT_S = 15.0
REPLICA_COOLDOWN_S = 5.0
MIN_TIMEOUT_S = 120.0
TIMEOUT_TOKENS_PER_S = 25.0
MAX_REPLY_BYTES = 16 * 1024 * 1024  # a 64k-token reply is well under 1 MiB of JSON, reasoning included
MAX_REPLY_DEPTH = 64  # JSON nesting of a chat completion; a real one is 5 deep
SURROGATE = re.compile("[\ud800-\udfff]")
MAX_USAGE_TOKENS = 10**9  # a token count above this (or negative, or not an integer) is not one
"""Half the 50 tokens/s of a busy thinking-model server: 30,000 tokens may take 20 minutes."""
MAX_TOKENS_PARAMS = ("max_tokens", "max_completion_tokens")


def default_timeout(max_tokens: int, floor_s: float = MIN_TIMEOUT_S) -> float:
    """Seconds one request may take when ``--timeout`` is not given."""
    return max(floor_s, max_tokens / TIMEOUT_TOKENS_PER_S)


@dataclass
class RetryPolicy:
    max_retries: int = 8
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * (2**attempt)))


class Replica:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.endpoint = base_url + "/chat/completions"
        self.down_until = 0.0


class OpenAIBackend:
    cacheable = True
    accepts_images = True  # image_url parts, for vision models
    n_sampling = True  # K epochs of an item may go as one request with n: K (n_choices)

    def __init__(
        self,
        name: str,
        base_urls: list[str],
        *,
        timeout_s: float | None = None,
        retry: RetryPolicy | None = None,
        api_key: str | None = None,
        backend_label: str = "openai",
        headers: dict[str, str] | None = None,
        max_tokens_param: str = "max_tokens",
        min_timeout_s: float = MIN_TIMEOUT_S,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ):
        if not base_urls:
            raise BackendError(f"openai/{name} needs --base-url URL (any OpenAI-compatible server)")
        for url in base_urls:
            check_base_url(url)
        if max_tokens_param not in MAX_TOKENS_PARAMS:
            raise BackendError(f"max_tokens_param must be one of {', '.join(MAX_TOKENS_PARAMS)}, not {max_tokens_param!r}")
        self.name = name
        self.model = f"{backend_label}/{name}"
        self.base_urls = [url.rstrip("/") for url in base_urls]
        self.timeout_s = timeout_s
        self.min_timeout_s = min_timeout_s
        self.max_tokens_param = max_tokens_param
        self.max_reply_bytes = max_reply_bytes
        # Values kept in memory only, like the key: they may carry credentials.
        self._headers = dict(headers or {})
        self.retry = retry or RetryPolicy()
        # Read once and kept in memory only; never part of identity() or any record.
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        # a server may echo the key, or a header's value, in its error text
        self._scrub = Scrubber([self._api_key, *self._headers.values()])
        self.replicas: list[Replica] = []
        self.session: Any = None
        self._next = itertools.count()
        self._rng = random.Random(0)

    def identity(self) -> dict[str, Any]:
        identity: dict[str, Any] = {"backend": "openai", "model": self.name}
        if self._headers:  # names only: part of the cache key and fingerprint, values never
            identity["headers"] = sorted(self._headers)
        if self.max_tokens_param != "max_tokens":
            identity["max_tokens_param"] = self.max_tokens_param
        return identity

    def endpoints(self) -> list[str]:
        """Where the replies came from (provenance, not identity)."""
        return [redact_url(url) for url in self.base_urls]

    async def probe(self) -> None:
        """Fail in seconds, naming the URL and its answer, when no replica serves this model."""
        assert self.session is not None, "start() first"
        await probe_replicas(self.session, self.name, self.base_urls, min(self.timeout_for(1), PROBE_TIMEOUT_S))

    def timeout_for(self, max_tokens: int) -> float:
        return self.timeout_s if self.timeout_s is not None else default_timeout(max_tokens, self.min_timeout_s)

    async def start(self) -> None:
        import urllib.request

        import aiohttp

        self.replicas = [Replica(url) for url in self.base_urls]
        self.session = aiohttp.ClientSession(
            # The runner bounds requests in flight; the pool must not add a second, smaller bound.
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json",
                     **self._headers},
            # Honour HTTP(S)_PROXY / NO_PROXY as the openai SDK does, but only when one is set:
            # trust_env re-reads the environment and ~/.netrc on every request.
            trust_env=bool(urllib.request.getproxies()),
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
        self.replicas = []

    def pick_replica(self) -> Replica:
        now = time.monotonic()
        count = len(self.replicas)
        start = next(self._next)
        for offset in range(count):
            replica = self.replicas[(start + offset) % count]
            if replica.down_until <= now:
                return replica
        return min(self.replicas, key=lambda r: r.down_until)  # all cooling: the soonest back

    def body(self, request: Request) -> dict[str, Any]:
        settings = request.settings
        messages = request.messages()
        body: dict[str, Any] = {
            "model": self.name,
            "messages": images.for_openai(messages) if images.has_images(messages) else messages,
            "temperature": settings.temperature,
            self.max_tokens_param: settings.max_tokens,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.seed is not None:
            body["seed"] = settings.seed + request.epoch
        if request.n > 1:
            body["n"] = request.n  # see n_choices below
        body.update(settings.sampling())
        body.update(settings.extra_body)
        return body

    async def generate(self, request: Request) -> Reply:
        import aiohttp

        assert self.session is not None, "start() first"
        payload = json.dumps(self.body(request), ensure_ascii=False).encode("utf-8")
        timeout_s = self.timeout_for(request.settings.max_tokens)
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        last_problem = "no attempt made"
        latency = 0.0
        for attempt in range(self.retry.max_retries + 1):
            replica = self.pick_replica()
            delay = None
            started = time.perf_counter()
            try:
                async with self.session.post(replica.endpoint, data=payload, timeout=timeout) as response:
                    raw = await read_capped(response, self.max_reply_bytes)
                    status, headers = response.status, response.headers
                latency = time.perf_counter() - started
                if raw is None:  # the same request would get the same endless reply: not retried
                    return Reply(text=None, error=f"reply body over {self.max_reply_bytes} bytes (--max-reply-bytes)",
                                 latency_s=round(latency, 4), attempts=attempt + 1)
                if status == 200:
                    data = decode_reply(raw)
                    reply = reply_of(data) if request.n == 1 else n_choices(data, request.n)
                    for choice in (reply.choices or [reply]) if reply is not None else []:
                        sanitised(choice)
                    gave_up = next((c.finish_reason for c in (reply.choices or [reply]) if c.finish_reason in GAVE_UP),
                                   None) if reply is not None else None
                    if gave_up is not None:
                        # the server gave up on the request (HTTP 200 all the same): never the model's answer
                        last_problem = f"finish_reason {gave_up!r} from {replica.base_url}: the server gave up"
                    elif reply is not None:
                        reply.latency_s, reply.attempts = round(latency, 4), attempt + 1
                        return reply
                    else:
                        last_problem = f"no choices in the response from {replica.base_url}"
                elif status == 429:
                    last_problem = f"429 from {replica.base_url}: {error_message(raw)}"
                    delay = retry_after(headers)
                elif status >= 500 or status in (408, 409):
                    last_problem = f"HTTP {status} from {replica.base_url}: {error_message(raw)}"
                else:
                    return Reply(text=None, error=self._scrub(f"HTTP {status}: {error_message(raw)}"),
                                 latency_s=round(latency, 4), attempts=attempt + 1)
            except TimeoutError:
                latency = time.perf_counter() - started
                last_problem = f"timed out after {timeout_s:g} s at {replica.base_url}"
            except aiohttp.ClientConnectorError as exc:
                # Nobody answers at this address: let the other replicas take the traffic.
                last_problem = f"cannot connect to {replica.base_url}: {exc}"
                replica.down_until = time.monotonic() + REPLICA_COOLDOWN_S
            except (aiohttp.ClientError, ConnectionError) as exc:
                last_problem = f"connection to {replica.base_url} lost: {type(exc).__name__}: {exc}"
            except (ValueError, RecursionError) as exc:  # body is not JSON, or not a JSON object
                last_problem = f"malformed response from {replica.base_url}: {str(exc)[:200]}"
            latency = time.perf_counter() - started
            if attempt < self.retry.max_retries:
                await asyncio.sleep(delay if delay is not None else self.retry.backoff(attempt, self._rng))
        return Reply(text=None, error=self._scrub(f"gave up after {self.retry.max_retries + 1} attempts: {last_problem}"),
                     latency_s=round(latency, 4), attempts=self.retry.max_retries + 1)


# finish_reason values that say the server, not the model, ended the reply: retried like a 5xx.
# vLLM "abort", "error" (vllm/v1/engine/__init__.py FINISH_REASON_STRINGS); SGLang "abort"
# (sglang/srt/entrypoints/openai/protocol.py); LMDeploy "abort" (a stopped or stale session,
# content ""), "error", "parse_error" (lmdeploy/serve/openai/protocol.py, serve/core/async_engine.py).
GAVE_UP = frozenset({"abort", "error", "parse_error", "cancelled"})


def check_base_url(url: str) -> None:
    """An http(s) URL without credentials, or a BackendError saying what is wrong with it."""
    reject_url_credentials(url, "--base-url")
    if not url.lower().startswith(("http://", "https://")):
        raise BackendError(f"--base-url {redact_url(url)!r} must start with http:// or https:// "
                           "(e.g. http://localhost:8000/v1)")


def reply_of(data: Any) -> Reply | None:
    """The first choice of a chat completion as a Reply; None when the payload has no usable choice.

    ``text`` is the content as sent (None when null); reasoning stays apart, never in its place.
    """
    if not isinstance(data, dict):
        raise ValueError(f"response is {type(data).__name__}, not a JSON object")
    choices = data.get("choices")
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    message = choice.get("message") or {}
    if not isinstance(message, dict):
        return None
    content = message.get("content")
    reasoning = message.get("reasoning_content")
    if not isinstance(reasoning, str):
        reasoning = message.get("reasoning")  # vLLM >= 0.10, OpenRouter
    finish = choice.get("finish_reason")
    return Reply(
        text=content if isinstance(content, str) or content is None else str(content),
        reasoning=reasoning if isinstance(reasoning, str) and reasoning else None,
        usage=usage_of(data.get("usage")),
        finish_reason=finish if isinstance(finish, str) else None,
    )


# -- n sampling: one request, several completions ------------------------------------------------
# vLLM, SGLang and the OpenAI API answer ``n: K`` with K choices for one prompt, prefilled once.
# The shapes, from openai/openai-python src/openai/types/chat/completion_create_params.py (``n``: how
# many choices to generate for each input message, charged for the tokens of all of them) and
# src/openai/types/chat/chat_completion.py (each ``Choice`` has its own ``index``, ``message`` and
# ``finish_reason``; the one ``usage`` is the whole request's).


def n_choices(data: Any, n: int) -> Reply | None:
    """The choices of an ``n``-request as Replies (the first, with all of them in ``choices``);
    None when the payload has no usable choice. Fewer than ``n`` choices come back as they are:
    the engine sends the missing epochs on their own.

    The request's usage is shared out so that the epochs' usage sums to the server's: the
    prompt tokens evenly (prefilled once, so each epoch bears its share of that one prefill),
    completion and reasoning tokens in proportion to each choice's length in characters (the
    server reports no per-choice counts).
    """
    if not isinstance(data, dict):
        raise ValueError(f"response is {type(data).__name__}, not a JSON object")
    raw = data.get("choices")
    if not raw or not isinstance(raw, list):
        return None
    ordered = sorted((c for c in raw if isinstance(c, dict)),
                     key=lambda c: int(c["index"]) if isinstance(c.get("index"), int) else 0)
    replies = [r for r in (reply_of({"choices": [choice]}) for choice in ordered[:n]) if r is not None]
    if not replies:
        return None
    usage = usage_of(data.get("usage"))
    if usage is not None:
        shares = share_usage(usage, [(len(r.text or ""), len(r.reasoning or "")) for r in replies])
        for reply, share in zip(replies, shares, strict=True):
            reply.usage = share
    first = replies[0]
    first.choices = replies
    return first


def share_usage(usage: dict[str, int], sizes: list[tuple[int, int]]) -> list[dict[str, int]]:
    """``usage`` split over choices of (content, reasoning) sizes; each count's shares add up to it."""
    count = len(sizes)
    weights = {"prompt_tokens": [1] * count,
               "completion_tokens": [text + thought for text, thought in sizes],
               "reasoning_tokens": [thought for _, thought in sizes]}
    shares: list[dict[str, int]] = [{} for _ in sizes]
    for name, total in usage.items():
        for share, part in zip(shares, apportion(total, weights.get(name, [1] * count)), strict=True):
            share[name] = part
    return shares


def apportion(total: int, weights: list[int]) -> list[int]:
    """``total`` in whole parts proportional to ``weights`` (largest remainders; even when all are 0)."""
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    for index in sorted(range(len(parts)), key=lambda i: parts[i] - exact[i])[: total - sum(parts)]:
        parts[index] += 1
    return parts


def usage_of(usage: Any) -> dict[str, int] | None:
    """prompt / completion tokens and, where the server reports them, reasoning tokens (OpenAI's
    ``completion_tokens_details.reasoning_tokens`` or a flat ``reasoning_tokens``). A count that
    is not a token count (negative, a boolean, a float, above ``MAX_USAGE_TOKENS``) makes the
    usage ``{"invalid": 1}``: recorded, and left out of every total."""
    if not isinstance(usage, dict):
        return None
    out: dict[str, int] = {}
    for name in ("prompt_tokens", "completion_tokens"):
        if usage.get(name) is not None:
            out[name] = usage[name]
    details = usage.get("completion_tokens_details")
    reasoning = details.get("reasoning_tokens") if isinstance(details, dict) else None
    if reasoning is None:
        reasoning = usage.get("reasoning_tokens")
    if reasoning is not None:
        out["reasoning_tokens"] = reasoning
    if not all(is_token_count(value) for value in out.values()):
        return {"invalid": 1}
    return out or None


def is_token_count(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_USAGE_TOKENS


# -- the reply boundary (issue 30): what a server sends is bounded and cleaned before anything keeps it
async def read_capped(response: Any, limit: int) -> bytes | None:
    """The body, or None once it grows past ``limit`` bytes (read in chunks: an endless chunked
    reply costs ``limit`` bytes of memory, not all it sends before the timeout)."""
    if response.content_length is not None:
        if response.content_length > limit:
            return None
        return await response.read()  # the server said how long: bounded, and one call instead of a loop
    parts, size = [], 0
    async for chunk in response.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def decode_reply(raw: bytes) -> Any:
    """The JSON of a reply body, nested at most ``MAX_REPLY_DEPTH`` deep (else ValueError, a
    malformed response, retried like one)."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_REPLY_DEPTH}") from None
    if raw.count(b"{") + raw.count(b"[") <= MAX_REPLY_DEPTH:
        return data  # no deeper than its opening brackets: the usual reply needs no walk
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_REPLY_DEPTH:
                raise ValueError(f"JSON nested deeper than {MAX_REPLY_DEPTH}")
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return data


def without_lone_surrogates(text: str) -> tuple[str, int]:
    """``text`` with each lone surrogate (JSON's ``"\\ud800"``: not a character, cannot be
    written as UTF-8) replaced by U+FFFD, and how many there were. (A str never holds a valid
    pair: the JSON decoder joins one into its character.)"""
    if not SURROGATE.search(text):
        return text, 0
    return SURROGATE.subn("\ufffd", text)


def sanitised(reply: Reply | None) -> Reply | None:
    """The reply with lone surrogates replaced in its text and reasoning, the count recorded in
    its usage as ``replaced_surrogates`` (the journal and the cache write UTF-8)."""
    if reply is None:
        return None
    replaced = 0
    for name in ("text", "reasoning"):
        value = getattr(reply, name)
        if isinstance(value, str):
            value, count = without_lone_surrogates(value)
            if count:
                setattr(reply, name, value)
                replaced += count
    if replaced:
        reply.usage = {**(reply.usage or {}), "replaced_surrogates": replaced}
    return reply


def retry_after(headers: Any) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date), capped."""
    raw = headers.get("retry-after") if headers is not None else None
    if not raw:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))
