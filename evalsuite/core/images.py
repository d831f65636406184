"""Pictures in prompts: a message's content may be a list of parts, text and images.

In a sample (and so in samples.jsonl, the cache key and the run's data hash) an image part is a
reference, never the bytes: ``{"type": "image", "sha256": ..., "bytes": N, "media_type":
"image/png"}``. The bytes live once in a content-addressed store (``$EVALSUITE_CACHE/images``),
written by the benchmark that drew them and read back, verified by hash, when a request is sent or
a picture is shown; so a run holds no picture in memory longer than one request. The format is in
docs/contracts.md#images.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from evalsuite.core.errors import EvalsuiteError
from evalsuite.core.safe_files import replacing

IMAGE = "image"
DETAILS = ("high", "low", "auto")
DEFAULT_DETAIL = "high"
"""Small atom labels blur at low detail."""


class ImageError(EvalsuiteError):
    """A referenced picture is missing from the store or does not match its hash."""


def store_root() -> Path:
    from evalsuite.core.cache_dir import cache_root

    return cache_root() / "images"


def put(png: bytes, root: Path | None = None, detail: str = DEFAULT_DETAIL) -> dict[str, Any]:
    """Store ``png`` (once: the name is its hash) and return the image part that refers to it."""
    digest = hashlib.sha256(png).hexdigest()
    folder = root or store_root()
    path = folder / f"{digest}.png"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # no reader sees half a file and no symlink at a guessable name is followed (safe_files)
        with replacing(path, "wb", fsync=False) as handle:
            handle.write(png)
    return {"type": IMAGE, "sha256": digest, "bytes": len(png), "media_type": "image/png", "detail": detail}


def get(part: dict[str, Any], root: Path | None = None) -> bytes:
    """The bytes of an image part, checked against its hash."""
    digest = str(part.get("sha256", ""))
    path = (root or store_root()) / f"{digest}.png"
    try:
        data = path.read_bytes()
    except OSError:
        raise ImageError(f"image {digest[:16]} is not in the image store {path.parent} "
                         "(regenerate it with `evalsuite samples BENCH --images DIR`)") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise ImageError(f"image store file {path} does not match its hash")
    return data


def is_image(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == IMAGE


def parts(messages: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every image part of the messages, in order."""
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            yield from (part for part in content if is_image(part))


def has_images(messages: Sequence[dict[str, Any]]) -> bool:
    return next(parts(messages), None) is not None


def text_of(content: Any) -> str:
    """The text of a message's content, whether a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def for_openai(messages: Sequence[dict[str, Any]], root: Path | None = None) -> list[dict[str, Any]]:
    """The messages as an OpenAI-compatible server takes them: each image part becomes an
    ``image_url`` part with the PNG inline as a base64 data URL, at the part's ``detail``."""
    out = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            out.append(message)
            continue
        sent = []
        for part in content:
            if is_image(part):
                url = "data:image/png;base64," + base64.b64encode(get(part, root)).decode("ascii")
                detail = part.get("detail") or DEFAULT_DETAIL
                sent.append({"type": "image_url", "image_url": {"url": url, "detail": detail}})
            else:
                sent.append(part)
        out.append({**message, "content": sent})
    return out


def hashes_sent(messages: Sequence[dict[str, Any]]) -> list[str]:
    """SHA-256 of every inline ``image_url`` picture in messages as a server receives them."""
    found = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if isinstance(part, dict) and part.get("type") == "image_url":
                url = str((part.get("image_url") or {}).get("url", ""))
                _, _, payload = url.partition("base64,")
                found.append(hashlib.sha256(base64.b64decode(payload)).hexdigest())
    return found


def write_out(messages: Sequence[dict[str, Any]], folder: Path) -> list[Path]:
    """Copy the pictures of ``messages`` to ``folder`` as ``<sha256>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for part in parts(messages):
        path = folder / f"{part['sha256']}.png"
        if not path.exists():
            path.write_bytes(get(part))
        written.append(path)
    return written
