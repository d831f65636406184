"""Credentials never reach a file: one place that knows what a secret looks like.

Secrets enter a run through a few doors: a key in the environment (``OPENAI_API_KEY``), a
model-arg or header whose value is a credential, and a URL with a user part
(``http://alice:sk-...@host/v1``) or a query parameter such as ``?api_key=...``. Every writer
(config.json, results.json, samples.jsonl errors, reports, exports) sees only what the helpers
here return:

* ``is_secret_name``: an explicit list of names whose value is a credential (``api_key``,
  ``token``, ``password``, ``headers`` ...). Names that merely contain such a word, such as
  ``tokenizer`` or ``max_tokens``, are settings and stay visible.
* ``secret_digest``: the stand-in for a secret in a run's identity, so that a run with another
  key is another run without the key being written.
* ``url_credentials`` / ``reject_url_credentials``: a URL's user part and secret-named query
  parameters; backends refuse such URLs up front (``docs/contracts.md#model-strings``).
* ``redact_url``, ``scrub_argv``, ``Scrubber``: what to write instead. ``scrub_argv`` knows
  argparse's abbreviations (``--hea X=V`` is ``--header X=V``). A ``Scrubber`` also registers
  its secrets with the process, so that ``scrub_known`` removes them by value from any text
  printed or written later (an exception's message on stderr, a server's error echoing a header).
* ``printable``: text for a terminal, its control characters (ANSI / OSC escapes, cursor moves,
  a bell) shown as ``\\x1b``-style escapes instead of acted on.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from evalsuite.core.errors import EvalsuiteError

MASK = "***"

SECRET_NAMES = frozenset({
    "api_key", "apikey", "api-key", "x-api-key", "key", "access_key", "secret_key",
    "token", "access_token", "auth_token", "hf_token", "bearer", "id_token", "refresh_token",
    "password", "passwd", "pwd", "secret", "client_secret",
    "authorization", "auth", "proxy-authorization", "cookie",
    "headers", "header",
})
"""Names (model-args, query parameters, flags without the dashes) whose value is a credential."""

SECRET_FLAGS = frozenset({"--api-key", "--token", "--password", "--header", "--headers", "--secret"})
"""Command-line options whose next value is a credential (``--header NAME=VALUE``: the value)."""

KEY_VALUE_FLAGS = frozenset({"--model-args"})
"""Options whose value is ``k=v,k2=v2``; only the values of secret-named keys are masked."""

URL_PATTERN = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline; C1 too (CSI is \x9b)
KNOWN_SECRETS: set[str] = set()
"""Every secret a ``Scrubber`` was made with in this process (``scrub_known``)."""


class CredentialError(EvalsuiteError):
    """A credential was given where it would be written into the run's files."""


def is_secret_name(name: str) -> bool:
    """Whether a parameter called ``name`` holds a credential (explicit names, case-insensitive)."""
    return name.strip().lower().lstrip("-").replace(" ", "") in SECRET_NAMES


def secret_digest(value: str) -> str:
    """Stands for a secret in a run's identity: equal keys give equal digests, the key is not kept.

    A digest of a short password could be guessed by trying candidates, which is why it is
    truncated and prefixed; a key (the usual case) has far more entropy than the 64 bits kept.
    """
    return "sha256:" + hashlib.sha256(b"evalsuite-secret\x00" + value.encode()).hexdigest()[:16]


def url_credentials(url: str) -> list[str]:
    """The credentials a URL carries: its user part, and the values of secret-named query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [value for value in (parts.username, parts.password) if value]
    found += [value for name, value in parse_qsl(parts.query, keep_blank_values=True)
              if is_secret_name(name) and value]
    return found


def redact_url(url: str) -> str:
    """The URL with its password (or a lone user part) and secret-named query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        # A lone user part is how many services pass a key (https://KEY@host): masked as well.
        netloc = f"{user}:{MASK}@{host}" if sep else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = []
        for piece in query.split("&"):
            name, sep, value = piece.partition("=")
            pairs.append(f"{name}={MASK}" if sep and is_secret_name(name) and value else piece)
        query = "&".join(pairs)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def reject_url_credentials(url: str, what: str) -> None:
    """Refuse a URL carrying credentials; the message shows the URL with them masked."""
    if url_credentials(url):
        raise CredentialError(
            f"{what} {redact_url(url)} carries credentials (a user part or a secret query parameter); "
            "they would be written into the run's files. Remove them from the URL and pass the key "
            "in OPENAI_API_KEY instead"
        )


def redact_text(text: str) -> str:
    """Free text (an error message, a command line) with every URL in it redacted."""
    return URL_PATTERN.sub(lambda match: redact_url(match.group(0)), text)


def scrub_key_values(text: str) -> str:
    """``k=v,k2=v2`` with the values of secret-named keys masked and URLs redacted."""
    parts = []
    for part in text.split(","):
        key, sep, _value = part.partition("=")
        parts.append(f"{key}={MASK}" if sep and is_secret_name(key) else redact_text(part))
    return ",".join(parts)


def scrub_argv(argv: list[str]) -> list[str]:
    """The command line as provenance records it: secret values masked, every setting kept.

    ``--max-tokens 256`` stays; ``--api-key X``, ``--header NAME=X`` (the value),
    ``--model-args api_key=X``, ``NAME=X`` for a secret NAME and URL passwords are masked.
    """
    out: list[str] = []
    pending: str | None = None  # the option whose value comes next
    for arg in argv:
        if pending is not None:
            out.append(scrub_value(pending, arg))
            pending = None
            continue
        flag, sep, value = arg.partition("=")
        flag = full_flag(flag) if arg.startswith("--") else flag
        if arg.startswith("--") and sep:
            out.append(f"{flag}={scrub_value(flag, value)}")
        elif arg.startswith("--") and (flag in SECRET_FLAGS or flag in KEY_VALUE_FLAGS or is_secret_name(flag)):
            out.append(arg)
            pending = flag
        elif sep and is_secret_name(flag):
            out.append(f"{flag}={MASK}")
        else:
            out.append(redact_text(arg))
    return [scrub_known(arg) for arg in out]  # a secret given any other way is still masked by value


def full_flag(flag: str) -> str:
    """The secret option a flag abbreviates (argparse takes any unambiguous prefix: ``--hea``
    is ``--header``), else the flag itself."""
    if flag in SECRET_FLAGS or flag in KEY_VALUE_FLAGS or len(flag) < 4:
        return flag
    for known in sorted(SECRET_FLAGS | KEY_VALUE_FLAGS):
        if known.startswith(flag):
            return known
    return flag


def scrub_value(flag: str, value: str) -> str:
    if flag in KEY_VALUE_FLAGS:
        return scrub_key_values(value)
    if flag in ("--header", "--headers"):
        name, sep, _ = value.partition("=")
        return f"{name}={MASK}" if sep else MASK
    if flag in SECRET_FLAGS or is_secret_name(flag):
        return MASK
    return redact_text(value)


class Scrubber:
    """Removes known secret values (and URL credentials) from text before it is written."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        # Short values (e.g. "EMPTY", "local") would mask ordinary words; real keys are longer.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)
        KNOWN_SECRETS.update(self.secrets)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return redact_text(text)


def scrub_known(text: str) -> str:
    """``text`` without any secret a ``Scrubber`` of this process knows (by value)."""
    for secret in sorted(KNOWN_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters shown as escapes (``\\x1b``), never sent."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def for_terminal(text: str) -> str:
    """What any message printed to a terminal goes through: known secrets out, controls escaped."""
    return printable(scrub_known(text))
