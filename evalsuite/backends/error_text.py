"""What a server said when it refused a request: the text of its error body."""

from __future__ import annotations

import json


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
