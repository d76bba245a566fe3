"""A labelled-corpus JSONL file read as entries (``storylines check/try/suggest --corpus``).

The format is the labelled corpus's (``../shared/corpus/README.md``): one object per
line with ``title``, ``published`` and optionally ``summary``, ``url``, ``id``,
``source``/``source_domain``.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from bot.config.files import open_regular_file
from bot.core.items import Entry
from bot.errors import ConfigError

_TAG = re.compile(r"<[^>]+>")

#: A corpus line is one item (headline, lede, a few fields): 1 MB is far beyond any.
MAX_CORPUS_LINE_BYTES = 1024 * 1024
#: The whole corpus file: about 100,000 items of 1 KB, as many as a trial can show.
MAX_CORPUS_BYTES = 100 * 1024 * 1024


def load_corpus(path: Path) -> list[Entry]:
    """Items of a JSONL file (one object per line with ``title``, ``published``
    and optionally ``summary``, ``url``, ``id``, ``source``/``source_domain``;
    the labelled corpus format) as entries.

    Read line by line: a line longer than :data:`MAX_CORPUS_LINE_BYTES`, a file
    longer than :data:`MAX_CORPUS_BYTES`, something that is not a regular file
    (a FIFO, a device such as ``/dev/zero``, a directory) and a bad line are each
    a ConfigError naming the file (and the line)."""
    feeds: dict[str, int] = {}
    entries = []
    read = 0
    with open_regular_file(path, what="corpus file") as fh:
        if os.fstat(fh.fileno()).st_size > MAX_CORPUS_BYTES:
            raise _too_big(path)
        for number in itertools.count(1):
            try:
                raw = fh.readline(MAX_CORPUS_LINE_BYTES + 1)
            except OSError as exc:
                raise ConfigError(f"{path}: cannot read the corpus file: {exc.strerror}") from None
            if not raw:
                break
            read += len(raw)
            if read > MAX_CORPUS_BYTES:
                raise _too_big(path)
            if len(raw) > MAX_CORPUS_LINE_BYTES and not raw.endswith(b"\n"):
                raise ConfigError(
                    f"{path}: line {number}: longer than the limit of "
                    f"{MAX_CORPUS_LINE_BYTES // 1024 // 1024} MB for one corpus item"
                )
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ConfigError(
                    f"{path}: line {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x})"
                ) from None
            if not line.strip():
                continue
            entries.append(_corpus_entry(path, number, line, feeds))
    return entries


def _too_big(path: Path) -> ConfigError:
    return ConfigError(
        f"{path}: the corpus file is larger than the limit of "
        f"{MAX_CORPUS_BYTES // 1024 // 1024} MB; try a part of it"
    )


def _corpus_entry(path: Path, number: int, line: str, feeds: dict[str, int]) -> Entry:
    try:
        row = json.loads(line)
        published = datetime.fromisoformat(str(row["published"]))
        title = str(row["title"])
    except (ValueError, KeyError, TypeError) as exc:
        problem = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ConfigError(f"{path}: line {number}: not a corpus item: {problem}") from None
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    source = str(row.get("source_domain") or row.get("source") or "corpus")
    summary = html.unescape(_TAG.sub(" ", str(row.get("summary") or "")))
    key = str(row.get("id") or f"line-{number}")
    return Entry(
        feed_id=feeds.setdefault(source, len(feeds) + 1),
        key=key,
        guid=key,
        url=row.get("url"),
        title=" ".join(title.split()),
        summary=" ".join(summary.split()),
        published=published.astimezone(UTC),
        first_seen=published.astimezone(UTC),
        source=source,
    )
