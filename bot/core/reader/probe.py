"""One clause read on its own: the events an editor or a test asks about."""

from __future__ import annotations

from bot.core.reader.claims import _reader
from bot.core.reader.context import Scene, triggers_of
from bot.core.reader.events import Event
from bot.core.reader.events import find_events as _find
from bot.core.reader.lexicon import Lexicon, default_lexicon


def find_events(clause: str, lexicon: Lexicon | None = None) -> tuple[Event, ...]:
    """The events of one clause (in whatever language it is written) with their
    effects and factuality."""
    reader = _reader(lexicon or default_lexicon())
    text, hits = reader.find(clause, reader.language_of([clause]))
    return _find(text, hits, Scene(triggers_of(hits)), reader.lexicon, reader.indexes)
