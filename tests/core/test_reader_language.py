"""The item's language (``bot.core.reader.language``): each word is looked up once,
and the counts are those of counting each language's function words in turn."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.core.reader import default_lexicon
from bot.core.reader.language import CLOSE, MIN_EVIDENCE, guess
from bot.core.reader.lexicon import _LOADER, LEXICON_DIR
from bot.core.reader.phrases import Text, token_texts

PROBES = Path(__file__).resolve().parents[1] / "data" / "probes" / "probes.yaml"


def _one_language_at_a_time(words: list[str]) -> tuple[str, ...]:
    counts = {}
    for lang in default_lexicon().languages:
        function = frozenset(lang.words("function_words"))
        if function:
            counts[lang.code] = sum(1 for w in words if w in function)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < MIN_EVIDENCE:
        return ()
    return tuple(c for c, n in ranked if n >= MIN_EVIDENCE and n >= ranked[0][1] * CLOSE)


def test_the_guess_is_that_of_counting_each_language_in_turn() -> None:
    probes = yaml.safe_load(PROBES.read_text(encoding="utf-8"))["probes"]
    texts = [f"{p['title']} {p.get('summary') or ''}" for p in probes]
    texts += ["", "de la de la the of", "Der Tribunal de la ban 禁令被暂停 금지 명령"]
    guessed = 0
    for text in texts:
        words = token_texts(text)
        assert words == [t.text for t in Text(text).tokens]
        got = guess(words, default_lexicon())
        assert got == _one_language_at_a_time(words)
        guessed += bool(got)
    assert guessed > len(probes) // 4  # headlines are short: many are of no clear language


def test_the_lexicon_files_read_the_same_with_libyaml_and_without() -> None:
    for path in sorted(LEXICON_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        pure = yaml.load(text, Loader=yaml.BaseLoader)
        assert yaml.load(text, Loader=_LOADER) == pure, path.name
