"""``lm-eval/NAME --model-args k=v,...``: any model class registered in lm-evaluation-harness.

The class comes from lm-eval's own registry (``get_model(NAME).create_from_arg_string``), so
``local-chat-completions``, ``local-completions``, ``hf``, ``vllm``, ... work as lm-eval users
know them; torch-based classes need the ``torch`` extra (``pip install 'evalsuite[torch]'``).

Replies come from ``generate_until`` with lm-eval ``Instance`` objects. Its calls are
synchronous and batched, so requests that arrive while a batch runs are collected and sent as
the next batch, in a worker thread (one batch at a time: lm-eval models are not thread-safe).

The prompt is built the way ``lm_eval --apply_chat_template`` builds it:
``lm.apply_chat_template(messages)``. Chat-endpoint classes get the messages themselves (a
``JsonChatStr``), tokenizer-backed classes the rendered template. A class without a chat
template (``NotImplementedError``, or a tokenizer with none) gets plain text: the message
contents joined by a blank line, as lm-eval writes a prompt without a template.

Generation settings map to lm-eval's ``gen_kwargs``: ``until`` = stop sequences,
``max_gen_toks`` = max_tokens, ``temperature``, ``do_sample`` = temperature > 0. The seed is
the model class's own (``seed=`` in model args), since lm-eval has no per-request seed.
API classes (``TemplateAPI``) get ``num_concurrent`` = ``--max-concurrency`` unless the model
args set it, so a batch is sent concurrently rather than one request after another.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from typing import Any

from evalsuite.backends.base import Request
from evalsuite.core.errors import BackendError
from evalsuite.core.types import GenerationSettings, Message, Reply
from evalsuite.files.redact import (
    Scrubber,
    is_secret_name,
    redact_url,
    reject_url_credentials,
    scrub_key_values,
    secret_digest,
)

TORCH_HINT = "pip install 'evalsuite[torch]' (installs lm-eval[hf] with torch and transformers)"
TORCH_MODULES = {"torch", "transformers", "accelerate", "peft"}
NOT_IDENTITY = {"num_concurrent"}  # how fast replies come, not which replies
ADDRESS_ARGS = {"base_url"}  # where the model is served: provenance (``endpoints``), not identity


def parse_model_args(model_args: str) -> dict[str, str]:
    """``k=v,k2=v2`` as lm-eval parses it (values stay strings here; lm-eval converts them)."""
    out: dict[str, str] = {}
    for part in (model_args or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise BackendError(f"--model-args expects k=v,...; got {part!r}")
        out[key.strip()] = value.strip()
    return out



class LmEvalBackend:
    cacheable = True
    accepts_images = False  # lm-eval's generate_until takes text

    def __init__(self, name: str, model_args: str, *, max_concurrency: int = 8):
        self.name = name
        self.model = f"lm-eval/{name}"
        self.model_args = model_args or ""
        self.args = parse_model_args(self.model_args)
        for key in ADDRESS_ARGS & set(self.args):
            reject_url_credentials(self.args[key], f"--model-args {key}=")
        # lm-eval's own errors and log lines may quote a model-arg or the request headers (with
        # the key lm-eval read from OPENAI_API_KEY): none of them is written or printed unscrubbed.
        secrets = [v for k, v in self.args.items() if is_secret_name(k)] + [os.environ.get("OPENAI_API_KEY")]
        self._scrub = Scrubber(secrets)
        self.max_batch = max(1, max_concurrency)
        self.lm: Any = None
        self._queue: asyncio.Queue[tuple[Request, asyncio.Future]] | None = None
        self._worker: asyncio.Task | None = None
        self.batches: list[int] = []
        """Size of every batch sent to generate_until (for tests and tuning)."""

    def unsupported(self, settings: GenerationSettings) -> list[str]:
        """lm-eval's ``gen_kwargs`` carry only stop sequences, the token limit and temperature
        here: other sampling settings mean different things (or nothing) to its model classes,
        so they are refused; set them through ``--model-args`` where a class takes them."""
        return [*settings.sampling(), *(["extra_body"] if settings.extra_body else [])]

    def identity(self) -> dict[str, Any]:
        """Every model-arg that can change a reply; a secret's value (an explicitly named key:
        ``evalsuite.files.redact.SECRET_NAMES``) is kept as a digest, so another key is another run
        although no key is written; the address is provenance."""
        args = {k: secret_digest(v) if is_secret_name(k) else v for k, v in sorted(self.args.items())
                if k not in NOT_IDENTITY and k not in ADDRESS_ARGS}
        return {"backend": "lm-eval", "model": self.name, "model_args": args}

    def endpoints(self) -> list[str]:
        return [redact_url(self.args[k]) for k in sorted(ADDRESS_ARGS & set(self.args))]

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        self.lm = await asyncio.to_thread(self._build)
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._serve())

    def _build(self) -> Any:
        try:
            from lm_eval.api.registry import get_model
        except ImportError as exc:
            raise BackendError(f"lm-eval is not installed: pip install 'lm-eval[api]' ({exc})") from None
        try:
            cls = get_model(self.name)
            scrub_lm_eval_logs(self._scrub)
        except ModuleNotFoundError as exc:
            raise missing_module(self.name, exc) from None
        except ValueError as exc:
            raise BackendError(str(exc)) from None
        extra: dict[str, Any] = {}
        if "num_concurrent" not in self.args and accepts(cls, "num_concurrent"):
            extra["num_concurrent"] = self.max_batch
        try:
            return cls.create_from_arg_string(self.model_args, extra)
        except ModuleNotFoundError as exc:
            raise missing_module(self.name, exc) from None
        except (TypeError, ValueError) as exc:
            raise BackendError(self._scrub(f"lm-eval/{self.name} --model-args "
                                           f"{scrub_key_values(self.model_args)!r}: {exc}")) from None

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        if self._queue is not None:
            while not self._queue.empty():
                _, future = self._queue.get_nowait()
                if not future.done():
                    future.set_result(Reply(text=None, error="backend closed"))
        self.lm = None

    # -- generation -----------------------------------------------------------------------
    async def generate(self, request: Request) -> Reply:
        assert self._queue is not None, "start() first"
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        await self._queue.put((request, future))
        return await future

    async def _serve(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(0)  # let requests created in the same tick join this batch
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self.batches.append(len(batch))
            replies = await asyncio.to_thread(self._generate, [request for request, _ in batch])
            for (_, future), reply in zip(batch, replies, strict=False):
                if not future.done():
                    future.set_result(reply)

    def _generate(self, requests: list[Request]) -> list[Reply]:
        """One generate_until call; if it fails, each request alone, so one bad sample
        (a 4xx, a context overflow) fails only itself."""
        try:
            return self._call(requests)
        except Exception as exc:  # noqa: BLE001 - becomes the sample's recorded error
            if len(requests) == 1:
                return [Reply(text=None, error=self._scrub(f"lm-eval {type(exc).__name__}: {exc}")[:500])]
        return [self._generate([request])[0] for request in requests]

    def _call(self, requests: list[Request]) -> list[Reply]:
        from lm_eval.api.instance import Instance

        instances = [
            Instance(
                request_type="generate_until",
                doc={"id": r.sample.id},
                arguments=(self.context(r.messages()), gen_kwargs(r)),
                idx=0,
                metadata=(r.benchmark.name, index, 1),
            )
            for index, r in enumerate(requests)
        ]
        texts = self.lm.generate_until(instances, disable_tqdm=True)
        if len(texts) != len(requests):
            raise RuntimeError(f"generate_until returned {len(texts)} replies for {len(requests)} requests")
        return [Reply(text=t) if isinstance(t, str) else Reply(text=None, error="lm-eval returned no text")
                for t in texts]

    def context(self, messages: list[Message]) -> Any:
        try:
            return self.lm.apply_chat_template(messages, add_generation_prompt=True)
        except NotImplementedError:
            return plain_prompt(messages)
        except ValueError as exc:
            if "chat_template" in str(exc) or "chat template" in str(exc):
                return plain_prompt(messages)  # a tokenizer without a template (base model)
            raise


class ScrubbingFilter(logging.Filter):
    """Rewrites a log record's text through a Scrubber (lm-eval logs failed requests with
    their headers, the Authorization header included)."""

    def __init__(self, scrub: Scrubber):
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = self.scrub(text)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


def scrub_lm_eval_logs(scrub: Scrubber) -> None:
    """Put the filter on every lm-eval logger (a logger's filters see only its own records)."""
    names = ["lm_eval"] + [n for n in logging.Logger.manager.loggerDict if n.startswith("lm_eval.")]
    for name in names:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, ScrubbingFilter)]:
            logger.removeFilter(old)
        logger.addFilter(ScrubbingFilter(scrub))


def missing_module(name: str, exc: ModuleNotFoundError) -> BackendError:
    module = (exc.name or "").split(".")[0]
    hint = TORCH_HINT if module in TORCH_MODULES else f"pip install {module or 'the missing package'}"
    return BackendError(f"lm-eval model class {name!r} needs the package {module!r}: {hint}")


def gen_kwargs(request: Request) -> dict[str, Any]:
    settings = request.settings
    return {
        "until": list(settings.stop),
        "max_gen_toks": settings.max_tokens,
        "temperature": settings.temperature,
        "do_sample": settings.temperature > 0,
    }


def plain_prompt(messages: list[Message]) -> str:
    return "\n\n".join(m["content"] for m in messages)


def accepts(cls: type, parameter: str) -> bool:
    """Whether ``cls(...)`` takes ``parameter`` by name somewhere in its __init__ chain."""
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            if parameter in inspect.signature(init).parameters:
                return True
        except (TypeError, ValueError):
            continue
    return False
