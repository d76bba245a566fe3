"""One fetched document's items as a poll keeps them: every item's key, and the
new ones normalised. Pure.

A document is read where it is parsed (a worker thread or process), so its raw
items (their HTML) die there: a batch holds only the entries it stores, and a
pool's workers do the normalising too, not only the parsing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.items import Entry, RawEntry
from bot.core.normalise import document_keys, normalise


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a document's items come from: feed ``feed_id`` named ``source``,
    fetched at ``first_seen``."""

    feed_id: int
    source: str
    first_seen: datetime


@dataclass(frozen=True, slots=True)
class DocumentItems:
    """``keys``: every item's key, in document order; ``new``: the items whose
    key was not among the known ones, normalised, each key once (the first)."""

    keys: tuple[str, ...]
    new: tuple[Entry, ...]


def document_items(
    raws: Sequence[RawEntry], origin: Origin, known: Collection[str] = ()
) -> DocumentItems:
    """Key ``raws`` within their document (``document_keys``) and normalise the
    items whose key is not in ``known``: in a poll most items are stored
    already, and reading their HTML again is wasted."""
    keys = document_keys(raws)
    new: list[Entry] = []
    taken = set(known)
    for raw, key in zip(raws, keys, strict=True):
        if key in taken:
            continue
        if raw.known:  # read as its guid alone, for a key that is not known: a bug
            raise ValueError(f"the parser skipped the text of entry {key!r}, which is new")
        taken.add(key)
        new.append(
            normalise(
                raw,
                feed_id=origin.feed_id,
                source=origin.source,
                first_seen=origin.first_seen,
                key=key,
            )
        )
    return DocumentItems(tuple(keys), tuple(new))
