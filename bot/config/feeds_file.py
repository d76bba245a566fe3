"""``feeds.yaml``: the declarative seed list of feeds.

Limits (documented in the README): the file is at most :data:`MAX_FILE_BYTES`
and lists at most :data:`MAX_FEEDS` feeds. URLs are checked and put in
canonical form (:func:`bot.core.feed_input.feed_url`), names cleaned of
invisible characters, so what is stored is what an admin meant.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config.files import load_yaml
from bot.config.messages import summarise, validation_problems
from bot.core.feed_input import clean_name, feed_url
from bot.core.items import FeedSeed
from bot.errors import ConfigError

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_FEEDS = 20_000


class _FeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    name: str = Field(min_length=1, max_length=200)
    interval: int | None = Field(None, ge=30, le=7 * 86400)
    tags: list[str] = Field([], max_length=50)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return feed_url(value)

    @field_validator("name")
    @classmethod
    def _visible_name(cls, value: str) -> str:
        name = clean_name(value)
        if not name:
            raise ValueError("the name has no visible characters")
        return name


class _FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[_FeedEntry] = Field(max_length=MAX_FEEDS)


def load_feeds_file(path: Path, default_interval: int) -> list[FeedSeed]:
    """Read ``feeds.yaml``. Raises ``ConfigError`` naming the file, the line (YAML
    syntax, encoding, a key given twice) or the field (schema), and what is
    wrong; a long list of problems is cut to a few and a count."""
    data, text = load_yaml(path, max_bytes=MAX_FILE_BYTES, what="feeds file")
    if isinstance(data, dict) and isinstance(data.get("feeds"), list):
        count = len(data["feeds"])
        if count > MAX_FEEDS:
            raise ConfigError(
                f"{path}: feeds: {count:,} entries; the limit is {MAX_FEEDS:,} feeds per file"
            )
    try:
        parsed = _FeedsFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_problems(exc, yaml_text=text)}") from None
    first: dict[str, int] = {}
    problems = []
    seeds = []
    for i, entry in enumerate(parsed.feeds):
        if entry.url in first:
            problems.append(
                f"feeds[{i}].url: {entry.url} is already listed as feeds[{first[entry.url]}]"
            )
            continue
        first[entry.url] = i
        seeds.append(
            FeedSeed(entry.url, entry.name, entry.interval or default_interval, tuple(entry.tags))
        )
    if problems:
        raise ConfigError(f"{path}: " + summarise(problems))
    return seeds
