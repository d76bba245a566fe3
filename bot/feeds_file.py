"""``feeds.yaml``: the declarative seed list of feeds."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config_messages import validation_problems, yaml_problem
from bot.core.models import FeedSeed
from bot.errors import ConfigError


class _FeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    name: str = Field(min_length=1, max_length=200)
    interval: int | None = Field(None, ge=30, le=7 * 86400)
    tags: list[str] = []

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip()


class _FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    feeds: list[_FeedEntry]


def load_feeds_file(path: Path, default_interval: int) -> list[FeedSeed]:
    """Read ``feeds.yaml``. Raises ``ConfigError`` naming the file, the line (YAML
    syntax) or the field (schema), and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: feeds file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_problem(path, exc)) from None
    try:
        parsed = _FeedsFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_problems(exc, yaml_text=text)}") from None
    seen: set[str] = set()
    seeds = []
    for i, entry in enumerate(parsed.feeds):
        if entry.url in seen:
            raise ConfigError(f"{path}: feeds[{i}].url: {entry.url} is listed twice")
        seen.add(entry.url)
        seeds.append(
            FeedSeed(entry.url, entry.name, entry.interval or default_interval, tuple(entry.tags))
        )
    return seeds
