"""A headline for an item whose feed gave none. Pure.

RSS makes ``<title>`` optional, Atom feeds in the wild leave it out or empty, and
JSON Feed items often carry only ``content_text``. Such an item would reach chat
as a blank line. It is shown instead with a headline *made* from its text: the
summary's first words (about ``MADE_TITLE_WORDS``, cut at a word, with "…"), else
its link, else a plain "untitled" line naming the feed. ``Entry.title_made`` is
set, the flag is stored with the item, and every platform marks such a headline
so a reader knows it is not the outlet's.

A made headline is for people only: matching and the fact reader see the item
as published (``as_published``: no headline), so words are neither counted twice
nor read as a headline the outlet never wrote; keys never use it either.
"""

from __future__ import annotations

from dataclasses import replace

from bot.core.items import Entry

#: About how many words of the summary make a headline.
MADE_TITLE_WORDS = 12
#: A cap in characters too: text without spaces (Chinese, Japanese, a long URL)
#: is one "word"; about twelve words of such text are this many characters.
MADE_TITLE_CHARS = 120
UNSPACED_TITLE_CHARS = 40
# Where a cut may fall: a space, or punctuation that ends a phrase in scripts
# written without spaces.
_BREAKS = " ，、；：。,;:"
ELLIPSIS = "…"
#: What the platforms say beside a made headline, and the mark where no italics exist.
MADE_TITLE_NOTE = "no headline in the feed"
MADE_TITLE_MARK = "✎"


def made_title(summary: str, url: str | None, source: str) -> str:
    """The headline shown for an item without one (see the module docstring).
    ``summary`` is plain text (``normalise``'s), ``url`` canonical or None."""
    words = summary.split()
    if words:
        text = " ".join(words[:MADE_TITLE_WORDS])
        cut = len(words) > MADE_TITLE_WORDS
        limit = MADE_TITLE_CHARS if len(words) > 1 else UNSPACED_TITLE_CHARS
        if len(text) > limit:
            text, cut = _cut_at_word(text, limit), True
        return text.rstrip(" ,;:—–-，、；：") + ELLIPSIS if cut else text
    if url:
        return url if len(url) <= MADE_TITLE_CHARS else url[: MADE_TITLE_CHARS - 1] + ELLIPSIS
    return f"Untitled item from {source}" if source else "Untitled item"


def _cut_at_word(text: str, limit: int) -> str:
    cut = text[: limit - 1]
    at = max(cut.rfind(mark) for mark in _BREAKS)
    return cut[:at] if at > limit // 2 else cut


def as_published(entry: Entry) -> Entry:
    """``entry`` as its feed published it: without a made headline."""
    return replace(entry, title="") if entry.title_made else entry
