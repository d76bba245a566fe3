"""The reader's packed lemma dictionaries answer as simplemma's own StreamMap."""

from __future__ import annotations

import random

import pytest
from simplemma.strategies.dictionaries.stream_dictionary_factory import StreamMap

from bot.core.reader import phrases, prepare_reader
from bot.core.reader.dictionaries import BLOCK_SIZE, low_memory_factory


def _words(keys: list[str], rng: random.Random) -> list[str]:
    """Keys around block boundaries and a spread of others, and near misses."""
    step = max(1, len(keys) // 1500)
    present = keys[::step] + keys[:3] + keys[-3:]
    for block in range(0, len(keys), len(keys) // 50 or 1):
        start = block - block % BLOCK_SIZE
        present += keys[max(0, start - 1) : start + 2]
    near = [w[:-1] for w in present[::3]] + [w + "s" for w in present[1::3]]
    near += [w.upper() for w in present[2::7]] + ["", "a", "zzzzzz", "\uffff", "ÿÿ"]
    words = present + near
    rng.shuffle(words)
    return words


@pytest.mark.parametrize("lang", ["de", "en", "es", "fr", "id", "it", "pt"])
def test_packed_map_answers_as_simplemma_does(lang: str) -> None:
    factory = low_memory_factory()
    assert factory is not None
    packed = factory.get_dictionary(lang)
    reference = StreamMap(lang)
    keys = list(reference)
    words = _words(keys, random.Random(lang))
    assert [packed.get(w) for w in words] == [reference.get(w) for w in words]
    assert len(packed) == len(reference)
    assert list(packed)[: BLOCK_SIZE * 2] == keys[: BLOCK_SIZE * 2]


def test_words_met_after_start_are_still_lemmatised_in_every_language() -> None:
    """The bot lets the dictionaries go once the lexicon is compiled: a word
    first met in a later item, in any lexicon language, is still brought back
    to its lemma (its language's dictionary loaded again)."""
    prepare_reader()
    phrases._lemma.cache_clear()  # nothing looked up before: every word is new
    phrases._keys.cache_clear()
    german = phrases.Text("Das Gericht blockierte die Sperre")
    english = phrases.Text("The judges barred the exports")
    assert "blockieren" in german.keys(2, "de")
    assert "bar" in english.keys(2, "en")
