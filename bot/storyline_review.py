"""``threadline storylines check FILE`` and ``try FILE``: what an admin runs before
dropping a new storyline file into ``storylines/``.

``check`` loads the file with the same validation as the bot (errors name the
file, line and field) and prints warnings from :func:`bot.core.review.review`:
very common words (Zipf frequencies from ``wordfreq``), phrases shared with the
live storylines, phrases frequent in unrelated sample items. ``try`` runs the
file over a labelled-corpus JSONL file or the stored items and prints what it
would match, why, and the fact timeline it would produce.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config_files import open_regular_file, read_text
from bot.config_messages import _line_of
from bot.core.models import Entry, Storyline
from bot.core.review import Finding, format_findings, review
from bot.errors import ConfigError
from bot.storylines import MAX_FILE_BYTES, load_storyline, load_storylines

_TAG = re.compile(r"<[^>]+>")

#: A corpus line is one item (headline, lede, a few fields): 1 MB is far beyond any.
MAX_CORPUS_LINE_BYTES = 1024 * 1024
#: The whole corpus file: about 100,000 items of 1 KB, as many as a trial can show.
MAX_CORPUS_BYTES = 100 * 1024 * 1024


def commonness(word: str) -> float:
    """The word's Zipf frequency in English (0 unknown … 7 "the"), from wordfreq's
    bundled lists (no network)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def live_storylines(directory: Path | None) -> list[Storyline]:
    """The storylines of ``directory`` (none when there is no such directory). A
    file with the reviewed storyline's id is its previous version: the review
    and the trial leave it out."""
    if directory is None or not directory.is_dir():
        return []
    return load_storylines(directory)


def check(path: Path, storylines_dir: Path | None, sample: Sequence[Entry] = ()) -> str:
    """The check report: raises ConfigError when the file is invalid."""
    storyline = load_storyline(path)
    others = live_storylines(storylines_dir)
    findings: list[Finding] = review(storyline, others, commonness=commonness, sample=sample)
    text = read_text(path, max_bytes=MAX_FILE_BYTES, what="storyline file")
    head = (
        f"{path}: valid storyline {storyline.id!r} ({storyline.status}), "
        f"{len(storyline.facts)} facts; compared with {len(others)} live storylines"
        + (f" and {len(sample)} sample items" if sample else "")
    )
    if not findings:
        return head + "\nno warnings"
    body = format_findings(findings, lambda where: _line_of(text, where))
    noun = "warning" if len(findings) == 1 else "warnings"
    return f"{head}\n{len(findings)} {noun}:\n{body}"


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
