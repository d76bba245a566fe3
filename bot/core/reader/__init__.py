"""The fact reader: news text in, claims of a storyline's facts out.

Its knowledge is data (``lexicon/*.yaml``, one file per language, validated at
start); the engine knows how to apply it:

* :mod:`~bot.core.reader.lexicon` loads and validates the files;
* :mod:`~bot.core.reader.phrases` finds their phrases in a clause, by lemma;
* :mod:`~bot.core.reader.context` gives what is found a factuality (polarity,
  certainty, time) from the context triggers;
* :mod:`~bot.core.reader.events` reads events through the restriction model;
* :mod:`~bot.core.reader.claims` reads an item's values for a storyline's facts;
* :mod:`~bot.core.reader.numbers` reads numbers written as words.
"""

from __future__ import annotations

from bot.core.reader.claims import (
    ItemFacts,
    Reading,
    extract_claims,
    first_state,
    lede_text,
    partial_of,
    prepare_reader,
    read_item,
)
from bot.core.reader.context import Factuality
from bot.core.reader.events import Event
from bot.core.reader.lexicon import Lexicon, LexiconError, default_lexicon, load_lexicon
from bot.core.reader.probe import find_events

__all__ = [
    "Event",
    "Factuality",
    "ItemFacts",
    "Lexicon",
    "LexiconError",
    "Reading",
    "default_lexicon",
    "extract_claims",
    "find_events",
    "first_state",
    "lede_text",
    "load_lexicon",
    "partial_of",
    "prepare_reader",
    "read_item",
]
