"""METEOR of a caption against its reference (NLTK), as SMolInstruct's molecule captioning is scored.

Whitespace tokens on both sides, one reference, NLTK's default parameters (alpha 0.9, beta 3,
gamma 0.5); the score is in [0, 1]. METEOR's fragmentation penalty keeps even an identical
caption below 1 (``1 - 0.5 / n**3`` for n words). NLTK needs its WordNet data for synonym
matching; without it the score is an error with a clear message, never a silent 0.
"""

from __future__ import annotations

MAX_WORDS = 2000


def meteor(reply: str, reference: str) -> float:
    if not reply.split() or not reference.split():
        return 0.0
    try:
        from nltk.translate.meteor_score import meteor_score
    except ImportError as exc:  # pragma: no cover - nltk is a dependency of the chemistry extra
        raise RuntimeError("METEOR needs nltk (pip install nltk)") from exc
    try:
        return float(meteor_score([reference.split()[:MAX_WORDS]], reply.split()[:MAX_WORDS]))
    except LookupError as exc:
        raise RuntimeError("METEOR needs NLTK's WordNet data: python -m nltk.downloader wordnet") from exc
