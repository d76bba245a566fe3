"""The naive feed bot ``bench_pipeline.py`` compares Threadline with.

What a first attempt at such a bot typically does: ``feedparser.parse(url)``
one feed after another (feedparser fetches with urllib), a Python loop of
rapidfuzz calls per (item, phrase) to match storylines, and ORM inserts row by
row (``session.add`` + ``commit`` per row) into SQLite. Each stage is timed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import feedparser
from rapidfuzz import fuzz
from sqlalchemy import ForeignKey, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bot.core.storyline import Storyline

FUZZY_THRESHOLD = 90


class _Base(DeclarativeBase):
    pass


class NaiveItem(_Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    feed: Mapped[str] = mapped_column(String(500))
    guid: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    published: Mapped[str] = mapped_column(String(100))


class NaiveMatch(_Base):
    __tablename__ = "matches"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    storyline: Mapped[str] = mapped_column(String(200))
    score: Mapped[float]


@dataclass
class NaiveReport:
    items: int = 0
    matches: int = 0
    seconds: dict[str, float] = field(
        default_factory=lambda: {"fetch+parse": 0.0, "match": 0.0, "store": 0.0}
    )

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def phrases(storylines: Sequence[Storyline]) -> list[tuple[str, list[str]]]:
    """Each storyline's phrases (actors and topics), lower-cased."""
    return [
        (
            s.id,
            [p.lower() for g in (*s.match.actors, *s.match.topics) for p in g.phrases],
        )
        for s in storylines
    ]


def naive_matches(text: str, vocabulary: list[tuple[str, list[str]]]) -> list[tuple[str, float]]:
    """A storyline matches when one of its phrases is found fuzzily in the text."""
    out = []
    for storyline, words in vocabulary:
        best = 0.0
        for phrase in words:
            best = max(best, fuzz.partial_ratio(phrase, text))
        if best >= FUZZY_THRESHOLD:
            out.append((storyline, best))
    return out


def run_naive_bot(
    urls: Sequence[str], storylines: Sequence[Storyline], database: Path
) -> NaiveReport:
    """One pass of the naive bot over ``urls``, storing into a new SQLite file."""
    engine = create_engine(f"sqlite:///{database}")
    _Base.metadata.create_all(engine)
    vocabulary = phrases(storylines)
    report = NaiveReport()
    with Session(engine) as session:
        for url in urls:
            began = time.perf_counter()
            parsed = feedparser.parse(url)
            report.seconds["fetch+parse"] += time.perf_counter() - began
            for entry in parsed.entries:
                report.items += 1
                began = time.perf_counter()
                text = f"{entry.get('title', '')} {entry.get('summary', '')}".lower()
                found = naive_matches(text, vocabulary)
                report.seconds["match"] += time.perf_counter() - began
                began = time.perf_counter()
                item = NaiveItem(
                    feed=url,
                    guid=entry.get("id", ""),
                    title=entry.get("title", ""),
                    link=entry.get("link", ""),
                    summary=entry.get("summary", ""),
                    published=entry.get("published", ""),
                )
                session.add(item)
                session.commit()
                for storyline, score in found:
                    session.add(NaiveMatch(item_id=item.id, storyline=storyline, score=score))
                    session.commit()
                    report.matches += 1
                report.seconds["store"] += time.perf_counter() - began
    engine.dispose()
    return report
