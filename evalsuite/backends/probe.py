"""Start-up check of an OpenAI-compatible server: does anything serve this model at this URL?

Without it a dead port or a URL missing ``/v1`` costs every sample its full retry budget (52 s
for two samples) and ends in a score of 0.000. The probe asks ``GET {url}/models``, then sends
one tiny chat request (``max_tokens`` 1), and decides:

* nobody listens (connection refused, unknown host): fail at once;
* the tiny request is refused with a 4xx other than 429 (wrong path, unknown model, bad key):
  fail with the server's own message and a hint (a URL without ``/v1``, the models it serves);
* 5xx, time-outs or broken bodies: a server that listed its models is alive and merely flaky
  (the run's retries handle that); one that did not is tried once more, then fails;
* 200 or 429 (alive, rate-limited): go on.
Replicas are probed together; the run fails only when none answers, and warns about the others.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any

from evalsuite.backends.error_text import error_message
from evalsuite.core.errors import BackendError
from evalsuite.files.redact import redact_url

PROBE_PROMPT = "Reply with the word OK."
RETRY_DELAY_S = 0.5


@dataclass
class Answer:
    """What one HTTP call to the server came back with."""

    status: int | None  # None: no HTTP answer at all
    text: str
    body: Any = None

    @property
    def alive(self) -> bool:
        return self.status is not None


async def probe_replicas(session: Any, model: str, base_urls: list[str], timeout_s: float) -> None:
    problems = await asyncio.gather(*(probe_one(session, model, url, timeout_s) for url in base_urls))
    failed = [p for p in problems if p]
    if len(failed) == len(base_urls):
        raise BackendError("; ".join(failed))
    for problem in failed:
        print(f"evalsuite: warning: a replica is not usable and gets no requests for now: {problem}",
              file=sys.stderr)


async def probe_one(session: Any, model: str, base_url: str, timeout_s: float) -> str | None:
    """None when ``base_url`` serves ``model``; otherwise one line: the URL and what answered."""
    shown = redact_url(base_url)
    models = await call(session, "GET", base_url + "/models", None, timeout_s)
    if not models.alive:
        return f"no server answers at {shown}: {models.text}"
    served = served_models(models.body) if models.status == 200 else None
    payload = {"model": model, "messages": [{"role": "user", "content": PROBE_PROMPT}],
               "max_tokens": 1, "temperature": 0}
    chat = await call(session, "POST", base_url + "/chat/completions", payload, timeout_s)
    if transient(chat) and served is None:
        await asyncio.sleep(RETRY_DELAY_S)
        chat = await call(session, "POST", base_url + "/chat/completions", payload, timeout_s)
    if chat.status == 429 or (chat.status == 200 and is_completion(chat.body)):
        return None
    if transient(chat) and served is not None:
        return None  # listed its models: alive, and the run's retries deal with a flaky reply
    problem = f"{shown}/chat/completions answered {describe(chat)}"
    if models.status != 200:
        problem += f" (and {shown}/models answered {describe(models)})"
    if chat.status == 404 and not base_url.rstrip("/").endswith("/v1"):
        problem += "; OpenAI-compatible servers answer under /v1: did you mean " + f"{shown}/v1?"
    if served is not None and model not in served:
        listed = ", ".join(served[:8]) + (", ..." if len(served) > 8 else "")
        problem += f"; the server serves: {listed or 'no models'} (not {model!r})"
    return problem


def transient(answer: Answer) -> bool:
    """An answer a retry may change: none, a 5xx, 408/409, or a 200 that is not a completion."""
    if answer.status is None:
        return answer.text.startswith(("timed out", "connection lost"))
    return answer.status >= 500 or answer.status in (408, 409) or (
        answer.status == 200 and not is_completion(answer.body))


async def call(session: Any, method: str, url: str, payload: Any, timeout_s: float) -> Answer:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=timeout_s)
    data = None if payload is None else json.dumps(payload).encode()
    try:
        async with session.request(method, url, data=data, timeout=timeout) as response:
            raw = await response.read()
            status = response.status
    except TimeoutError:
        return Answer(None, f"timed out after {timeout_s:g} s")
    except aiohttp.ClientConnectorError as exc:
        return Answer(None, f"cannot connect ({exc.os_error or exc})")
    except aiohttp.InvalidURL as exc:
        return Answer(None, f"not a valid URL ({exc})")
    except (aiohttp.ClientError, ConnectionError) as exc:
        return Answer(None, f"connection lost ({type(exc).__name__}: {exc})")
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    return Answer(status, error_text(raw, body), body)


def error_text(raw: bytes, body: Any) -> str:
    return error_message(raw) if body is not None or raw else "(empty body)"


def describe(answer: Answer) -> str:
    if answer.status is None:
        return answer.text
    if answer.status == 200:
        return "HTTP 200 with a body that is not a chat completion: " + answer.text[:120]
    return f"HTTP {answer.status}: {answer.text[:200]}"


def is_completion(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("choices"), list) and bool(body["choices"])


def served_models(body: Any) -> list[str] | None:
    """The model ids of a ``/models`` answer (``{"data": [{"id": ...}]}``), None if not that shape."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        return None
    return [str(item["id"]) for item in body["data"] if isinstance(item, dict) and "id" in item]
