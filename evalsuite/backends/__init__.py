"""Model backends, chosen by model string (docs/contracts.md#model-strings).

Each backend module is imported only when its model string is used. May import
``evalsuite.files`` (redaction) and ``evalsuite.core``; the engine drives them.
"""

from __future__ import annotations

from evalsuite.backends.base import Backend, Request, unsupported_settings
from evalsuite.core.errors import BackendError


def create_backend(
    model: str,
    *,
    base_urls: list[str] | None = None,
    max_concurrency: int = 8,
    timeout_s: float | None = None,
    max_retries: int = 8,
    retry_base_delay_s: float = 0.5,
    model_args: str | None = None,
    headers: dict[str, str] | None = None,
    max_tokens_param: str = "max_tokens",
) -> Backend:
    """``timeout_s`` None: each request's timeout follows its token limit (openai_compat.default_timeout).
    ``headers`` and ``max_tokens_param`` concern HTTP servers: other backends refuse them."""
    from evalsuite.backends.openai_compat import RetryPolicy

    retry = RetryPolicy(max_retries=max_retries, base_delay_s=retry_base_delay_s)
    kind, _, name = model.partition("/")
    if kind != "openai" and (headers or max_tokens_param != "max_tokens"):
        given = [*(["--header"] if headers else []), *(["--max-tokens-param"] if max_tokens_param != "max_tokens" else [])]
        raise BackendError(f"{' and '.join(given)} only apply to openai/NAME servers, not to {model}")
    if model == "oracle":
        from evalsuite.backends.simple import OracleBackend

        return OracleBackend()
    if kind == "replay" and name:
        from evalsuite.backends.simple import ReplayBackend

        return ReplayBackend(name)
    if kind == "openai" and name:
        from evalsuite.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(name, base_urls or [], timeout_s=timeout_s, retry=retry, headers=headers,
                             max_tokens_param=max_tokens_param)
    if kind == "local" and name:
        from evalsuite.backends.local import LocalBackend

        return LocalBackend(name, max_concurrency=max_concurrency, timeout_s=timeout_s, retry=retry)
    if kind == "lm-eval" and name:
        try:
            from evalsuite.backends.lm_eval_backend import LmEvalBackend
        except ImportError as exc:
            raise BackendError(f"lm-eval backend unavailable: {exc}") from None
        return LmEvalBackend(name, model_args or "", max_concurrency=max_concurrency)
    if kind == "inspect" and name:
        from evalsuite.backends.inspect_backend import InspectBackend

        return InspectBackend(name, model_args or "", max_concurrency=max_concurrency, timeout_s=timeout_s,
                              max_retries=max_retries)
    raise BackendError(
        f"unknown model string {model!r}: use openai/NAME (with --base-url), local/smollm2, "
        "replay/PATH.jsonl, oracle, lm-eval/NAME or inspect/PROVIDER/NAME"
    )


__all__ = ["Backend", "BackendError", "Request", "create_backend", "unsupported_settings"]
