"""METEOR of a caption against its reference (NLTK), as SMolInstruct's molecule captioning is scored.

Whitespace tokens on both sides, one reference, NLTK's default parameters (alpha 0.9, beta 3,
gamma 0.5); the score is in [0, 1]. METEOR's fragmentation penalty keeps even an identical
caption below 1 (``1 - 0.5 / n**3`` for n words).

METEOR matches words exactly, then by Porter stem, then by WordNet synonym. NLTK's WordNet data is
a separate download that evalsuite never fetches at run time: where it is not installed, the
synonym stage matches nothing (``synonyms_available()`` is False, and the benchmark says so in
each score's reason), so a score can only be lower than with the data, never higher.
"""

from __future__ import annotations

import functools
from typing import Any

MAX_WORDS = 2000


class _NoSynonyms:
    """Stands in for ``nltk.corpus.wordnet`` when its data is missing: no word has a synonym."""

    def synsets(self, *_: Any, **__: Any) -> list[Any]:
        return []


@functools.cache
def _wordnet() -> Any:
    from nltk.corpus import wordnet

    try:
        wordnet.ensure_loaded()
    except LookupError:
        return None
    return wordnet


def synonyms_available() -> bool:
    return _wordnet() is not None


def meteor(reply: str, reference: str) -> float:
    if not reply.split() or not reference.split():
        return 0.0
    from nltk.translate.meteor_score import meteor_score

    return float(meteor_score([reference.split()[:MAX_WORDS]], reply.split()[:MAX_WORDS],
                              wordnet=_wordnet() or _NoSynonyms()))
