"""What a server said when it refused a request: the text of its error body."""

from __future__ import annotations

import json
import re

from evalsuite.files.redact import printable

SURROGATE = re.compile("[\ud800-\udfff]")


def error_message(raw: bytes) -> str:
    """The server's error text: ``{"error": {"message": ...}}``, ``{"error": "..."}`` or the raw
    body; control characters escaped (it is printed to terminals: an OSC 52 sequence would set
    the clipboard) and lone surrogates replaced (it is written as UTF-8)."""
    return SURROGATE.sub("\ufffd", printable(message_of(raw)))


def message_of(raw: bytes) -> str:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace").strip()[:300] or "(empty body)"
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(inner, str):
            return inner[:300]
    return json.dumps(body)[:300]
