"""Which language an item is written in (``py3langid``, limited to the lexicon's).

Pure apart from loading the model shipped inside the package, once. The reader
uses the guess to lemmatise in that language and to apply that language's
context words only ("se" is "if" in Italian, a pronoun in Spanish).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import py3langid
from py3langid.langid import MODEL_FILE, LanguageIdentifier

#: Languages at least this likely are read as possible languages of the text.
PLAUSIBLE = 0.2


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_modelpath(
        Path(py3langid.__file__).parent / MODEL_FILE, norm_probs=True
    )
    identifier.set_languages(list(languages))
    return identifier


def guess(text: str, languages: Iterable[str]) -> tuple[str, ...]:
    """The languages ``text`` may be written in, among ``languages``, likeliest
    first (at most three; none for an empty text)."""
    if not text.strip():
        return ()
    ranked = _identifier(tuple(sorted(languages))).rank(text)
    return tuple(str(lang) for lang, p in ranked[:3] if p >= PLAUSIBLE)
