"""Which language an item is written in, from the lexicon's own words.

Pure. Each language file lists ``function_words`` (articles, prepositions,
auxiliaries: the words every sentence of that language has). The item's
language is the one whose function words it uses most, when it uses at least
:data:`MIN_EVIDENCE` of them; otherwise it is unknown, and the reader reads the
item in every language, leaving out only the short context words that mean
something else elsewhere ("se" is "if" in Italian, a pronoun in Spanish).

A statistical identifier (py3langid) was tried first: it reads short headlines
better, but its model costs 105 MB of memory at load, a third of what a whole
poll cycle may use. lingua (2.1, low-accuracy mode, the ten lexicon languages)
costs 28 MB once its models load and 0.8 ms an item (these counts: 0.2 ms,
tokens included), and the reader then gets 227 of the 239 probes right
(tests/core/test_probes.py) against 231: a wrong guess reads the right language
as foreign, where "unknown" reads every language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.core.reader.lexicon import Lexicon

#: Function words an item needs before its language counts as known.
MIN_EVIDENCE = 2
#: A second language counts too when it has this share of the first one's evidence.
CLOSE = 0.75


def guess(words: Iterable[str], lexicon: Lexicon) -> tuple[str, ...]:
    """The languages the words (folded tokens) may be written in, likeliest
    first; none when there is too little evidence."""
    languages, function = _function_words(lexicon)
    counts = dict.fromkeys(languages, 0)
    for word in words:
        for code in function.get(word, ()):
            counts[code] += 1
    ranked: Sequence[tuple[str, int]] = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < MIN_EVIDENCE:
        return ()
    best = ranked[0][1]
    return tuple(code for code, n in ranked if n >= MIN_EVIDENCE and n >= best * CLOSE)


@lru_cache(maxsize=4)
def _function_words(lexicon: Lexicon) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The languages that list function words (in the lexicon's order), and for
    each such word the languages it is one of: a word is looked up once, not
    once per language."""
    languages = tuple(lang.code for lang in lexicon.languages if lang.words("function_words"))
    function: dict[str, tuple[str, ...]] = {}
    for lang in lexicon.languages:
        if lang.code in languages:
            for word in frozenset(lang.words("function_words")):
                function[word] = (*function.get(word, ()), lang.code)
    return languages, function
