"""The run directory's identity: shards, the fingerprint a resume must match, sample digests."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalsuite.core.errors import RunError
from evalsuite.core.types import Sample
from evalsuite.files import results
from evalsuite.files.journal import SAMPLES, Key, recover


def in_shard(benchmark: str, sample_id: str, shard: tuple[int, int] | None) -> bool:
    """Deterministic 1/N slice by a hash of (benchmark, id): stable across machines and orders."""
    if shard is None:
        return True
    index, total = shard
    digest = hashlib.sha256(f"{benchmark}\x00{sample_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % total == index


def without_sample_fingerprint(fingerprint: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint as written before planning saw the samples (count and hash unknown)."""
    benchmarks = {name: {**spec, "data_hash": None, "samples": None} for name, spec in fingerprint["benchmarks"].items()}
    return {**fingerprint, "benchmarks": benchmarks}


def is_provisional(fingerprint: dict[str, Any]) -> bool:
    return any(spec.get("data_hash") is None for spec in fingerprint.get("benchmarks", {}).values())


def sample_digest_text(sample: Sample) -> bytes:
    """What a sample adds to its benchmark's ``data_hash`` (sha256 over the samples in order)."""
    return json.dumps([sample.id, sample.messages, sample.target], sort_keys=True, ensure_ascii=False,
                      default=str).encode()


def prompt_hash(messages: list[dict[str, str]]) -> str:
    return hashlib.sha256(json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def differing_keys(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, old value, new value) for every leaf that differs, e.g.
    ``benchmarks.tail/lcs.generation.temperature``; a key present on one side only is a leaf."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new), key=str):
            where = f"{prefix}.{key}" if prefix else str(key)
            if key not in old or key not in new:
                out.append((where, old.get(key, "(absent)"), new.get(key, "(absent)")))
            elif old[key] != new[key]:
                out += differing_keys(old[key], new[key], where)
        return out
    return [] if old == new else [(prefix or "(the whole configuration)", old, new)]


def describe_differences(old: Any, new: Any, shown: int = 6) -> str:
    def short(value: Any) -> str:
        text = json.dumps(value, sort_keys=True, default=str)
        return text if len(text) <= 60 else text[:57] + "..."

    items = differing_keys(old, new)
    parts = [f"{key} (was {short(a)}, now {short(b)})" for key, a, b in items[:shown]]
    if len(items) > shown:
        parts.append(f"and {len(items) - shown} more")
    return ", ".join(parts)


LOCK = ".evalsuite.lock"


def has_samples(out: Path) -> bool:
    """Whether the journal holds anything (a line, even a torn one)."""
    try:
        return (out / SAMPLES).stat().st_size > 0
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def lock_run_dir(out: Path) -> Iterator[None]:
    """Hold ``out``'s lock (``flock`` on ``out/.evalsuite.lock``, created without following a
    symbolic link) for the block; a RunError at once when another process holds it. The kernel
    drops an flock when its holder dies, so a lock left by a killed run is stale by construction
    and the next run simply takes it over."""
    out = Path(out)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RunError(f"{path} is a symbolic link; refusing to open it (remove it)") from None
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            raise RunError(f"another evalsuite run (pid {holder}) is writing {out}; wait for it to finish, "
                           "or use another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        if created and [p.name for p in out.iterdir()] == [LOCK]:  # failed before writing anything
            path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                out.rmdir()
        os.close(fd)  # releases the lock


def epochs_of(fingerprint: dict[str, Any]) -> int:
    """A fingerprint's ``epochs`` (1 in run directories written before ``--epochs`` existed)."""
    return int(fingerprint.get("epochs") or 1)


def without_epochs(fingerprint: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fingerprint.items() if k != "epochs"}


def prepare_out_dir(out: Path, fingerprint: dict[str, Any], *, overwrite: bool) -> set[Key]:
    """Create or check ``out`` for this fingerprint; the (benchmark, id, epoch) keys already journaled.

    ``epochs`` may grow (``--epochs 4`` then ``--epochs 8`` extends the run in place: only the
    new epochs are sent), never shrink: the journal would hold replies the run does not count.
    """
    config_path = out / results.CONFIG
    if config_path.exists() and not overwrite and not has_samples(out):
        # A run that failed before its first sample left only its configuration: nothing to
        # resume, so a retry with corrected options starts afresh instead of being refused.
        config_path.unlink()
        (out / SAMPLES).unlink(missing_ok=True)
    if out.exists() and overwrite:
        for name in (SAMPLES, results.RESULTS, results.CONFIG):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    if config_path.exists():
        previous = results.read_json(config_path)
        # A run killed before planning finished never fingerprinted its samples.
        current = without_sample_fingerprint(fingerprint) if is_provisional(previous) else fingerprint
        had, wants = epochs_of(previous), epochs_of(fingerprint)
        if wants < had:
            raise RunError(f"{out} holds a run with --epochs {had}; resume it with --epochs {had} or more "
                           "(epochs can be added, not removed), or use another --out")
        previous, current = without_epochs(previous), without_epochs(current)
        if previous != current:
            raise RunError(
                f"{out} holds a run with a different configuration (differs in: "
                f"{describe_differences(previous, current)}); use another --out, or --overwrite to discard it"
            )
    elif (out / SAMPLES).exists():
        raise RunError(f"{out} has {SAMPLES} but no {results.CONFIG}; use another --out or --overwrite")
    results.write_json(config_path, fingerprint)
    return recover(out)
