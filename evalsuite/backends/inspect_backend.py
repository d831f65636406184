"""``inspect/<provider>/<model>``: any model provider of inspect_ai (UK AISI) as a backend.

Replies come from ``inspect_ai.model.get_model("<provider>/<model>").generate(messages, config=...)``,
so Anthropic, Google, Bedrock, Azure, vLLM, SGLang, Ollama, ... are reached the way Inspect users
reach them: credentials and base URLs from the provider's own environment variables
(``ANTHROPIC_API_KEY``, ``<SERVICE>_BASE_URL`` for ``openai-api/<service>/<model>``, ...), and
``--model-args k=v,...`` as ``get_model`` keyword arguments (``-M`` in ``inspect eval``).
inspect-ai is an optional extra (``pip install 'evalsuite[inspect]'``), imported only here and only
when such a model string is used (its import takes about 1.5 s).

Generation settings map to Inspect's ``GenerateConfig`` (``generate_config``); a setting the
provider cannot take is refused before any request (``unsupported``), never dropped: Inspect's
OpenAI-family providers silently leave out ``top_k`` (read in
inspect_ai/model/_providers/_openai.py ``openai_completion_params``: no top_k), so there it and
``min_p`` travel in ``extra_body``, which those providers merge into the request body; providers
that take ``top_k`` natively get it as ``GenerateConfig.top_k``; anywhere else they are refused.
The reply maps back (``reply_of``): the completion's text, its ``ContentReasoning`` parts as
reasoning, ``ModelUsage`` as usage and the stop reason as ``finish_reason`` (Inspect's
``max_tokens`` and ``model_length`` -> ``length``, so a cut-off reply fails as truncated).
"""

from __future__ import annotations

import os
import time
from typing import Any

from evalsuite.backends.base import Request
from evalsuite.core import images
from evalsuite.core.errors import BackendError
from evalsuite.core.types import GenerationSettings, Message, Reply
from evalsuite.files.redact import Scrubber, is_secret_name, secret_digest

INSTALL_HINT = "pip install 'evalsuite[inspect]'"

# Providers whose requests are built by Inspect's OpenAI chat-completions code, which merges
# GenerateConfig.extra_body into the body (inspect_ai/model/_openai.py, "Build extra_body").
EXTRA_BODY_PROVIDERS = frozenset({"openai", "openai-api", "vllm", "sglang"})
# Providers that send GenerateConfig.top_k (grep of inspect_ai/model/_providers for top_k, 0.3.285).
TOP_K_PROVIDERS = frozenset({"anthropic", "google", "hf", "bedrock", "together", "sagemaker", "mockllm"})
# GenerateConfig.reasoning_effort's Literal in inspect_ai/model/_generate_config.py.
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
ENV_SECRET_SUFFIXES = ("_API_KEY", "_KEY", "_TOKEN", "_SECRET", "_PASSWORD")
# StopReason (inspect_ai/model/_model_output.py) -> the OpenAI finish_reason our records keep.
FINISH_REASONS = {"stop": "stop", "max_tokens": "length", "model_length": "length", "tool_calls": "tool_calls",
                  "content_filter": "content_filter"}


def provider_of(model: str) -> str:
    return model.split("/", 1)[0]


def unsupported_for(provider: str, settings: GenerationSettings) -> list[str]:
    """The settings ``provider`` cannot take through Inspect, by name."""
    out = []
    if settings.top_k is not None and provider not in TOP_K_PROVIDERS | EXTRA_BODY_PROVIDERS:
        out.append("top_k")
    if settings.min_p is not None and provider not in EXTRA_BODY_PROVIDERS:
        out.append("min_p")
    if settings.extra_body and provider not in EXTRA_BODY_PROVIDERS:
        out.append("extra_body")
    if settings.reasoning_effort is not None and settings.reasoning_effort not in REASONING_EFFORTS:
        out.append(f"reasoning_effort={settings.reasoning_effort!r} (Inspect takes {', '.join(REASONING_EFFORTS)})")
    return out


def generate_config(provider: str, settings: GenerationSettings) -> dict[str, Any]:
    """``GenerateConfig`` keyword arguments for ``settings`` (the system prompt is a message,
    ``Request.messages``, not a config field). Raises BackendError where a setting cannot map."""
    refused = unsupported_for(provider, settings)
    if refused:
        raise BackendError(f"inspect/{provider} cannot apply {', '.join(refused)}")
    config: dict[str, Any] = {"temperature": settings.temperature, "max_tokens": settings.max_tokens}
    if settings.stop:
        config["stop_seqs"] = list(settings.stop)
    if settings.seed is not None:
        config["seed"] = settings.seed
    for name in ("top_p", "presence_penalty", "frequency_penalty", "reasoning_effort"):
        if getattr(settings, name) is not None:
            config[name] = getattr(settings, name)
    extra = dict(settings.extra_body)
    if settings.top_k is not None:
        if provider in TOP_K_PROVIDERS:
            config["top_k"] = settings.top_k
        else:
            extra["top_k"] = settings.top_k
    if settings.min_p is not None:
        extra["min_p"] = settings.min_p
    if extra:
        config["extra_body"] = extra
    return config


def settings_of(config: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``generate_config``: GenerationSettings overrides from GenerateConfig fields
    (``evalsuite import inspect``); fields with no evalsuite setting are left out."""
    out: dict[str, Any] = {}
    for name in ("temperature", "max_tokens", "seed", "top_p", "presence_penalty", "frequency_penalty",
                 "reasoning_effort", "top_k"):
        if config.get(name) is not None:
            out[name] = config[name]
    if config.get("stop_seqs"):
        out["stop"] = list(config["stop_seqs"])
    extra = dict(config.get("extra_body") or {})
    for name in ("top_k", "min_p"):
        if name in extra:
            out[name] = extra.pop(name)
    if extra:
        out["extra_body"] = extra
    return out


def chat_messages(messages: list[Message]) -> list[Any]:
    """Our chat messages as Inspect ``ChatMessage`` objects; an image part becomes a
    ``ContentImage`` holding the PNG as a data URL (read from the image store, hash-checked)."""
    import base64

    from inspect_ai.model import (
        ChatMessageAssistant,
        ChatMessageSystem,
        ChatMessageUser,
        ContentImage,
        ContentText,
    )

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser, "assistant": ChatMessageAssistant}
    out = []
    for message in messages:
        kind = kinds.get(message["role"])
        if kind is None:
            raise BackendError(f"inspect backend: cannot send a {message['role']!r} message")
        content = message["content"]
        if isinstance(content, list):
            parts: list[Any] = []
            for part in content:
                if images.is_image(part):
                    url = "data:image/png;base64," + base64.b64encode(images.get(part)).decode("ascii")
                    detail: Any = part.get("detail") or images.DEFAULT_DETAIL  # one of images.DETAILS
                    parts.append(ContentImage(image=url, detail=detail))
                else:
                    parts.append(ContentText(text=part.get("text", "")))
            content = parts
        out.append(kind(content=content))
    return out


def usage_of(usage: Any) -> dict[str, int] | None:
    """Inspect's ModelUsage as our usage dict (the keys openai_compat.usage_of gives)."""
    if usage is None:
        return None
    out = {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens}
    if usage.reasoning_tokens is not None:
        out["reasoning_tokens"] = usage.reasoning_tokens
    return {k: int(v) for k, v in out.items() if v is not None} or None


def reply_of(output: Any) -> Reply:
    """A ModelOutput as a Reply: final text, reasoning apart, usage, finish reason."""
    from inspect_ai.model import ContentReasoning

    if output.error:
        return Reply(text=None, error=f"inspect: {output.error}"[:500])
    if not output.choices:
        return Reply(text=None, error="inspect: no choices in the model output")
    message = output.message
    reasoning = None
    text: str | None = message.content if isinstance(message.content, str) else output.completion
    if not isinstance(message.content, str):
        found = [c.reasoning for c in message.content if isinstance(c, ContentReasoning) and not c.redacted]
        reasoning = "\n\n".join(found) or None
        has_text = any(getattr(c, "type", None) == "text" for c in message.content)
        text = output.completion if has_text else None
    stop = output.stop_reason
    return Reply(text=text, reasoning=reasoning, usage=usage_of(output.usage),
                 finish_reason=FINISH_REASONS.get(stop, stop) if stop != "unknown" else None)


def parse_model_args(model_args: str) -> dict[str, Any]:
    """``k=v,...`` as ``get_model`` keyword arguments; values are YAML scalars, as ``-M`` takes them."""
    import yaml

    out: dict[str, Any] = {}
    for part in (model_args or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise BackendError(f"--model-args expects k=v,...; got {part!r}")
        out[key.strip()] = yaml.safe_load(value.strip())
    return out


class InspectBackend:
    cacheable = True
    accepts_images = True  # Inspect sends ContentImage to the providers that take pictures

    def __init__(self, name: str, model_args: str = "", *, max_concurrency: int = 8, timeout_s: float | None = None,
                 max_retries: int = 8):
        if provider_of(name) == name or not name.split("/", 1)[1]:
            raise BackendError(f"inspect/{name}: use inspect/<provider>/<model>, e.g. inspect/anthropic/claude-...")
        self.name = name
        self.model = f"inspect/{name}"
        self.provider = provider_of(name)
        self.args = parse_model_args(model_args)
        self.max_concurrency = max_concurrency
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        # Inspect's providers read their keys from the environment (ANTHROPIC_API_KEY,
        # <SERVICE>_API_KEY, ...); none of them, nor a secret model-arg, reaches a recorded error.
        from_env = [v for k, v in os.environ.items() if k.upper().endswith(ENV_SECRET_SUFFIXES)]
        self._scrub = Scrubber([*(str(v) for k, v in self.args.items() if is_secret_name(k)), *from_env])
        self.api: Any = None

    def unsupported(self, settings: GenerationSettings) -> list[str]:
        return [*unsupported_for(self.provider, settings), *self.dropped_by_model(settings)]

    def dropped_by_model(self, settings: GenerationSettings) -> list[str]:
        """Settings Inspect's ``openai`` provider leaves out for the kind of model it takes the
        name for (inspect_ai/model/_providers/openai_completions.py
        ``completion_params_completions``, openai_responses.py): temperature for o-series, gpt-5
        and any name it does not know (taken for a frontier model, ``is_latest_model``), where
        the temperature is always 1; ``reasoning_effort`` for older gpt models; the seed on the
        Responses API. Refused unless what the model does anyway is what was asked."""
        if self.provider != "openai":
            return []
        api = self.model_api().api
        out = []
        if (api.is_o_series() or api.is_gpt_5()) and settings.temperature != 1.0:
            out.append(f"temperature={settings.temperature} (Inspect sends no temperature to {self.name}: it takes it "
                       "for an o-series / gpt-5 model; use inspect/openai-api/<service>/<model> for another server)")
        if getattr(api, "responses_api", False) and settings.seed is not None:
            out.append("seed (the Responses API takes none; --model-args responses_api=false for chat completions)")
        if settings.reasoning_effort is not None and api.is_gpt() and not api.is_gpt_5():
            out.append("reasoning_effort")
        return out

    def model_api(self) -> Any:
        """Inspect's Model, built once (the provider's client; no request is sent)."""
        if self.api is None:
            try:
                from inspect_ai.model import GenerateConfig, get_model
            except ImportError as exc:
                raise BackendError(f"inspect-ai is not installed: {INSTALL_HINT} ({exc})") from None
            try:
                # Inspect retries, times out and limits concurrency itself: --max-retries, --timeout
                # and --max-concurrency become its settings (None: Inspect's own timeout).
                config = GenerateConfig(max_connections=self.max_concurrency, max_retries=self.max_retries,
                                        timeout=None if self.timeout_s is None else max(1, round(self.timeout_s)))
                self.api = get_model(self.name, config=config, memoize=False, **self.args)
            except Exception as exc:  # noqa: BLE001 - a missing provider package or key, said plainly
                raise BackendError(self._scrub(f"inspect model {self.name}: {type(exc).__name__}: {exc}")) from None
        return self.api

    def identity(self) -> dict[str, Any]:
        args = {k: secret_digest(str(v)) if is_secret_name(k) else v for k, v in sorted(self.args.items())
                if k != "base_url"}
        return {"backend": "inspect", "model": self.name, "model_args": args}

    def endpoints(self) -> list[str]:
        from evalsuite.files.redact import redact_url

        return [redact_url(str(self.args["base_url"]))] if "base_url" in self.args else []

    async def start(self) -> None:
        self.model_api()

    async def generate(self, request: Request) -> Reply:
        from inspect_ai.model import GenerateConfig

        settings = request.settings
        config = generate_config(self.provider, settings)
        if settings.seed is not None and request.epoch:
            config["seed"] = settings.seed + request.epoch  # epoch e is sent with seed + e, as openai/ does
        started = time.perf_counter()
        try:
            output = await self.model_api().generate(chat_messages(request.messages()), config=GenerateConfig(**config))
        except BackendError as exc:
            return Reply(text=None, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - the sample's recorded error
            last = getattr(exc, "last_attempt", None)  # Inspect retries with tenacity: the cause, not RetryError
            cause = last.exception() if last is not None and last.failed else exc
            return Reply(text=None, error=self._scrub(f"inspect {type(cause).__name__}: {cause}")[:500],
                         latency_s=round(time.perf_counter() - started, 4), attempts=1)
        reply = reply_of(output)
        reply.latency_s = round(time.perf_counter() - started, 4)
        reply.attempts = 1
        return reply

    async def close(self) -> None:
        self.api = None
