"""A set of byte strings held as 16-byte digests, for telling repeats among many generated items.

A Python set of 100,000 16-byte ``bytes`` takes about 9 MB (object, hash slot, spare room);
here older digests sit in one sorted numpy array at 16 bytes each and only the newest in a
set, merged into the array once they are a sixteenth of it: about 2 MB for 100,000, and the
array is rebuilt some 16 times per doubling. Two different keys sharing a BLAKE2b-128 digest
has odds near 1e-30 even at a million keys; such a key would be taken for a repeat.
"""

from __future__ import annotations

import hashlib
from typing import Any

MERGE_AT_LEAST = 4096


class DigestSet:
    def __init__(self) -> None:
        self.recent: set[bytes] = set()
        # None until the first merge, so that small runs never import numpy (~0.1 s) and big
        # ones import it only after the first samples have gone out.
        self.old: Any = None

    def __len__(self) -> int:
        return len(self.recent) + (0 if self.old is None else len(self.old))

    def add(self, key: bytes) -> bool:
        """Remember ``key``; False when it was there already."""
        digest = hashlib.blake2b(key, digest_size=16).digest()
        if digest in self.recent:
            return False
        if self.old is not None:
            at = int(self.old.searchsorted(digest))
            # numpy hands back an S16 element without its trailing zero bytes
            if at < len(self.old) and self.old[at] == digest.rstrip(b"\0"):
                return False
        self.recent.add(digest)
        if len(self.recent) >= max(MERGE_AT_LEAST, (len(self) - len(self.recent)) // 16):
            self._merge()
        return True

    def _merge(self) -> None:
        import numpy as np

        fresh = np.sort(np.array(list(self.recent), dtype="S16"))  # none of them is in ``old``
        old = np.empty(0, dtype="S16") if self.old is None else self.old
        self.old = np.insert(old, old.searchsorted(fresh), fresh)
        self.recent.clear()
