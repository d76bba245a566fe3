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
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config_messages import _line_of
from bot.core.models import Entry, Storyline
from bot.core.review import Finding, format_findings, review
from bot.errors import ConfigError
from bot.storylines import load_storyline, load_storylines

_TAG = re.compile(r"<[^>]+>")


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
    text = path.read_text(encoding="utf-8")
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
    the labelled corpus format) as entries. A bad line is a ConfigError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read corpus file: {exc}") from None
    feeds: dict[str, int] = {}
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
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
        entries.append(
            Entry(
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
        )
    return entries
