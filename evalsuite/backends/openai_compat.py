"""Any OpenAI-compatible chat server (vLLM, SGLang, LMDeploy, llama.cpp, Ollama, the OpenAI API).

The official ``openai`` package does the HTTP (async client on aiohttp); the retry policy is
ours, because a benchmark run needs different rules than an interactive app:
- 429: wait what ``Retry-After`` says (capped), then retry;
- 5xx, timeouts, dropped connections, malformed or empty responses: exponential backoff with
  full jitter, up to ``max_retries``;
- any other 4xx: the sample fails at once with the server's message (retrying cannot help).
Several base URLs are replicas of one model: requests go round-robin to replicas that are not
cooling down after a connection failure, so a dead replica is routed around.
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import os
import random
import time
from dataclasses import dataclass
from typing import Any

from evalsuite.backends.base import BackendError, Request
from evalsuite.types import Reply

MAX_RETRY_AFTER_S = 120.0
REPLICA_COOLDOWN_S = 5.0


@dataclass
class RetryPolicy:
    max_retries: int = 8
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * (2**attempt)))


class Replica:
    def __init__(self, base_url: str, client: Any):
        self.base_url = base_url
        self.client = client
        self.down_until = 0.0


class OpenAIBackend:
    cacheable = True

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
        self.name = name
        self.model = f"{backend_label}/{name}"
        self.base_urls = [url.rstrip("/") for url in base_urls]
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        # Read once and kept in memory only; never part of identity() or any record.
        self._api_key = api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY"
        self.replicas: list[Replica] = []
        self._next = itertools.count()
        self._rng = random.Random(0)
        self.requests_sent = 0

    def identity(self) -> dict[str, Any]:
        return {"backend": "openai", "model": self.name, "base_url": sorted(self.base_urls)}

    async def start(self) -> None:
        import openai

        for url in self.base_urls:
            client = openai.AsyncOpenAI(
                base_url=url,
                api_key=self._api_key,
                max_retries=0,
                timeout=self.timeout_s,
                http_client=openai.DefaultAioHttpClient(timeout=self.timeout_s),
            )
            self.replicas.append(Replica(url, client))

    async def close(self) -> None:
        for replica in self.replicas:
            await replica.client.close()
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
        body: dict[str, Any] = {
            "model": self.name,
            "messages": request.messages(),
            "temperature": settings.temperature,
            "max_tokens": settings.max_tokens,
        }
        if settings.stop:
            body["stop"] = list(settings.stop)
        if settings.seed is not None:
            body["seed"] = settings.seed + request.epoch
        return body

    async def generate(self, request: Request) -> Reply:
        import openai

        body = self.body(request)
        last_problem = "no attempt made"
        for attempt in range(self.retry.max_retries + 1):
            replica = self.pick_replica()
            delay = 0.0
            try:
                self.requests_sent += 1
                # The generic post skips the SDK's per-request TypedDict transform (about 1 ms).
                data = await replica.client.post("/chat/completions", cast_to=object, body=body)
                text = reply_text(data)
                if text is not None:
                    return Reply(text=text)
                last_problem = "server returned no choices"
                delay = self.retry.backoff(attempt, self._rng)
            except openai.RateLimitError as exc:
                last_problem = f"429 from {replica.base_url}: {error_message(exc)}"
                delay = retry_after(exc.response.headers) or self.retry.backoff(attempt, self._rng)
            except openai.APIStatusError as exc:
                if exc.status_code < 500 and exc.status_code not in (408, 409):
                    return Reply(text=None, error=f"HTTP {exc.status_code}: {error_message(exc)}")
                last_problem = f"HTTP {exc.status_code} from {replica.base_url}: {error_message(exc)}"
                delay = self.retry.backoff(attempt, self._rng)
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                last_problem = f"{type(exc).__name__} from {replica.base_url}: {exc}"
                if not isinstance(exc, openai.APITimeoutError):
                    replica.down_until = time.monotonic() + REPLICA_COOLDOWN_S
                delay = self.retry.backoff(attempt, self._rng)
            except (openai.APIResponseValidationError, ValueError) as exc:
                last_problem = f"malformed response from {replica.base_url}: {str(exc)[:200]}"
                delay = self.retry.backoff(attempt, self._rng)
            if attempt < self.retry.max_retries:
                await asyncio.sleep(delay)
        return Reply(text=None, error=f"gave up after {self.retry.max_retries + 1} attempts: {last_problem}")


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
        parsed = email.utils.parsedate_to_datetime(raw)
        if parsed is None:
            return None
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(seconds, MAX_RETRY_AFTER_S))


def error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return str(getattr(exc, "message", exc))[:300]
