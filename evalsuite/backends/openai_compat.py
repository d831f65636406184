"""Any OpenAI-compatible chat server (vLLM, SGLang, LMDeploy, llama.cpp, Ollama, the OpenAI API).

One ``POST {base_url}/chat/completions`` per attempt on a shared aiohttp session. We speak the
wire format directly instead of through the ``openai`` SDK: on a 2-core machine the SDK's
request building (httpx models, auth hooks, header merging: several ms a request) held a
2,000-sample run to 93 samples/s; on aiohttp directly the same run does 850 (bench/throughput.py).
The request body is the chat-completions JSON; the reply text is ``choices[0].message.content``
(``reasoning_content`` when content is null).

The retry policy is ours, because a benchmark run needs different rules than an interactive app:
- 429: wait what ``Retry-After`` says (capped), then retry;
- 5xx, 408, 409, timeouts, dropped connections, malformed or empty responses: exponential
  backoff with full jitter, up to ``max_retries``;
- any other 4xx: the sample fails at once with the server's message (retrying cannot help).
Several base URLs are replicas of one model: requests go round-robin to replicas that are not
cooling down after a refused connection, so a dead replica is routed around.

The model, not the address, is the backend's identity: the same model reached through another
URL (``localhost`` for ``127.0.0.1``, a new port or pod) resumes the run and finds its cached
replies; the URLs are provenance (``endpoints``). A URL carrying credentials is refused
(``evalsuite.redact``). ``probe`` (before the first request) makes a dead or wrong URL fail in
seconds instead of after every sample's retries.
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import json
import os
import random
import time
from dataclasses import dataclass
from typing import Any

from evalsuite import images
from evalsuite.backends.base import Request
from evalsuite.backends.probe import probe_replicas
from evalsuite.errors import BackendError
from evalsuite.redact import Scrubber, redact_url, reject_url_credentials
from evalsuite.types import Reply

MAX_RETRY_AFTER_S = 120.0
PROBE_TIMEOUT_S = 15.0
REPLICA_COOLDOWN_S = 5.0


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

    def __init__(
        self,
        name: str,
        base_urls: list[str],
        *,
        timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
        api_key: str | None = None,
        backend_label: str = "openai",
    ):
        if not base_urls:
            raise BackendError(f"openai/{name} needs --base-url URL (any OpenAI-compatible server)")
        for url in base_urls:
            check_base_url(url)
        self.name = name
        self.model = f"{backend_label}/{name}"
        self.base_urls = [url.rstrip("/") for url in base_urls]
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        # Read once and kept in memory only; never part of identity() or any record.
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self._scrub = Scrubber([self._api_key])  # a server may echo the key in its error text
        self.replicas: list[Replica] = []
        self.session: Any = None
        self._next = itertools.count()
        self._rng = random.Random(0)

    def identity(self) -> dict[str, Any]:
        return {"backend": "openai", "model": self.name}

    def endpoints(self) -> list[str]:
        """Where the replies came from (provenance, not identity)."""
        return [redact_url(url) for url in self.base_urls]

    async def probe(self) -> None:
        """Fail in seconds, naming the URL and its answer, when no replica serves this model."""
        assert self.session is not None, "start() first"
        await probe_replicas(self.session, self.name, self.base_urls, min(self.timeout_s, PROBE_TIMEOUT_S))

    async def start(self) -> None:
        import urllib.request

        import aiohttp

        self.replicas = [Replica(url) for url in self.base_urls]
        self.session = aiohttp.ClientSession(
            # The runner bounds requests in flight; the pool must not add a second, smaller bound.
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            headers={"Authorization": f"Bearer {self._api_key}", "Content-Type": "application/json"},
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
            "max_tokens": settings.max_tokens,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.seed is not None:
            body["seed"] = settings.seed + request.epoch
        return body

    async def generate(self, request: Request) -> Reply:
        import aiohttp

        assert self.session is not None, "start() first"
        payload = json.dumps(self.body(request), ensure_ascii=False).encode("utf-8")
        last_problem = "no attempt made"
        for attempt in range(self.retry.max_retries + 1):
            replica = self.pick_replica()
            delay = None
            try:
                async with self.session.post(replica.endpoint, data=payload) as response:
                    raw = await response.read()
                    status, headers = response.status, response.headers
                if status == 200:
                    text = reply_text(json.loads(raw))
                    if text is not None:
                        return Reply(text=text)
                    last_problem = f"no choices in the response from {replica.base_url}"
                elif status == 429:
                    last_problem = f"429 from {replica.base_url}: {error_message(raw)}"
                    delay = retry_after(headers)
                elif status >= 500 or status in (408, 409):
                    last_problem = f"HTTP {status} from {replica.base_url}: {error_message(raw)}"
                else:
                    return Reply(text=None, error=self._scrub(f"HTTP {status}: {error_message(raw)}"))
            except TimeoutError:
                last_problem = f"timed out after {self.timeout_s:g} s at {replica.base_url}"
            except aiohttp.ClientConnectorError as exc:
                # Nobody answers at this address: let the other replicas take the traffic.
                last_problem = f"cannot connect to {replica.base_url}: {exc}"
                replica.down_until = time.monotonic() + REPLICA_COOLDOWN_S
            except (aiohttp.ClientError, ConnectionError) as exc:
                last_problem = f"connection to {replica.base_url} lost: {type(exc).__name__}: {exc}"
            except ValueError as exc:  # body is not JSON, or not a JSON object
                last_problem = f"malformed response from {replica.base_url}: {str(exc)[:200]}"
            if attempt < self.retry.max_retries:
                await asyncio.sleep(delay if delay is not None else self.retry.backoff(attempt, self._rng))
        return Reply(text=None, error=self._scrub(f"gave up after {self.retry.max_retries + 1} attempts: {last_problem}"))


def check_base_url(url: str) -> None:
    """An http(s) URL without credentials, or a BackendError saying what is wrong with it."""
    reject_url_credentials(url, "--base-url")
    if not url.lower().startswith(("http://", "https://")):
        raise BackendError(f"--base-url {redact_url(url)!r} must start with http:// or https:// "
                           "(e.g. http://localhost:8000/v1)")


def reply_text(data: Any) -> str | None:
    """The assistant text of a chat completion; None when the payload has no usable choice."""
    if not isinstance(data, dict):
        raise ValueError(f"response is {type(data).__name__}, not a JSON object")
    choices = data.get("choices")
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message") or {}
    content = message.get("content")
    if content is None:
        content = message.get("reasoning_content")
    return content if isinstance(content, str) else ""


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


def error_message(raw: bytes) -> str:
    """The server's error text: ``{"error": {"message": ...}}``, ``{"error": "..."}`` or the raw body."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:300] or "(empty body)"
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return json.dumps(body)[:300]
