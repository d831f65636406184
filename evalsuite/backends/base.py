"""The backend role: one reply per request, with failures reported in the Reply, never raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from evalsuite.core.benchmark import Benchmark
from evalsuite.core.types import GenerationSettings, Message, Reply, Sample


@dataclass(frozen=True, slots=True)
class Request:
    benchmark: Benchmark
    sample: Sample
    settings: GenerationSettings
    epoch: int = 0
    n: int = 1
    """Completions asked for in one request (the OpenAI ``n``): epochs ``epoch`` .. ``epoch + n - 1``."""

    def messages(self) -> list[Message]:
        """The chat messages sent: the benchmark's, with the system prompt (if any) in front."""
        messages = list(self.sample.messages)
        if self.settings.system_prompt and not any(m["role"] == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": self.settings.system_prompt})
        return messages


class Backend(Protocol):
    model: str
    cacheable: bool
    """Whether replies are worth caching (real models yes; oracle and replay are free)."""
    accepts_images: bool
    """Whether prompts with pictures can be sent (docs/contracts.md#images)."""

    def identity(self) -> dict[str, Any]:
        """What distinguishes this backend's replies: part of the cache key and provenance.
        Never includes credentials."""
        ...

    async def start(self) -> None:
        """Ready to generate. A backend whose ``generate`` runs code on other threads imports
        here what that code needs (numpy above all): the runner imports numpy on the event loop
        while the first requests are out (``Runner.warm``), and a first import of numpy on two
        threads at once can leave it half-initialised."""

    async def generate(self, request: Request) -> Reply: ...

    async def close(self) -> None: ...


def unsupported_settings(backend: Backend, settings: GenerationSettings) -> list[str]:
    """The generation settings ``backend`` cannot apply (by name); a backend says so with an
    ``unsupported(settings)`` method, and one without it applies every setting it is given.
    The runner refuses a run that sets any of them, so nothing is silently dropped."""
    check = getattr(backend, "unsupported", None)
    return list(check(settings)) if check is not None else []
