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

from bot.core.reader.lexicon import Lexicon

#: Function words an item needs before its language counts as known.
MIN_EVIDENCE = 2
#: A second language counts too when it has this share of the first one's evidence.
CLOSE = 0.75


def guess(words: Iterable[str], lexicon: Lexicon) -> tuple[str, ...]:
    """The languages the words (folded tokens) may be written in, likeliest
    first; none when there is too little evidence."""
    counts: dict[str, int] = {}
    tokens = list(words)
    for lang in lexicon.languages:
        function = _function_words(lang.code, lexicon)
        if function:
            counts[lang.code] = sum(1 for t in tokens if t in function)
    ranked: Sequence[tuple[str, int]] = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < MIN_EVIDENCE:
        return ()
    best = ranked[0][1]
    return tuple(code for code, n in ranked if n >= MIN_EVIDENCE and n >= best * CLOSE)


_CACHE: dict[tuple[int, str], frozenset[str]] = {}


def _function_words(code: str, lexicon: Lexicon) -> frozenset[str]:
    key = (id(lexicon), code)
    found = _CACHE.get(key)
    if found is None:
        language = lexicon.language(code)
        words = language.words("function_words") if language else ()
        found = _CACHE[key] = frozenset(words)
    return found
