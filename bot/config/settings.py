"""Settings from the environment (``THREADLINE_*``, an optional ``.env``) and CLI flags.

Validated once at start; an invalid value is a ``ConfigError`` that names the
variable. Each chat platform declares its own variables (tokens as ``SecretStr``,
so they never reach a log or a repr) and they are read the same way
(``load_section``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import (
    AliasChoices,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config.messages import validation_problems
from bot.errors import ConfigError

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///data/threadline.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="THREADLINE_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = DEFAULT_SQLITE_URL
    feeds_file: Path = Path("feeds.yaml")
    storylines_dir: Path = Path("storylines")
    audit_log: Path | None = None
    allow_private_feeds: bool = False
    default_interval: int = Field(600, ge=30, description="seconds between polls of a feed")
    fetch_timeout: float = Field(20.0, gt=0, le=300)
    max_feed_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    fetch_concurrency: int = Field(16, ge=1, le=512)
    # Read feeds (parse, key, normalise) in this many worker processes; 0: in a
    # thread of the bot process; unset: one worker where two CPUs are usable
    # (``parse_pool.default_processes``; bench_pipeline: a first poll about 20%
    # faster for 28 MB).
    parse_processes: int | None = Field(None, ge=0, le=64)
    # Comma-separated chat user ids treated as admins besides the platform's own.
    admins: Annotated[frozenset[str], NoDecode] = frozenset()
    # Where notices to admins go (a disabled feed or subscription): slack:C… or discord:…
    # Its form is checked against the registered platforms by the composition root.
    admin_channel: str | None = None
    instance_id: str | None = None
    # On SQLite one process polls and delivers at a time: another `run` waits this
    # long for it, then gives up saying which process holds the database.
    lock_wait: float = Field(120.0, ge=0, le=86400, description="seconds to wait")
    # How long a claimed feed stays this instance's; must outlast one poll of it.
    # When an instance dies, others take its claimed feeds over after this.
    feed_lease: int = Field(300, ge=10, le=3600, description="seconds a feed claim lasts")
    # How long claimed outbox rows stay this instance's; must outlast sending one
    # claim's messages (paced per channel). Claims end at once when the process
    # exits; this only bounds how long a killed process's claims hold.
    delivery_lease: int = Field(120, ge=10, le=3600, description="seconds an outbox claim lasts")
    # Coverage replies per thread (channel, storyline) per poll cycle; the rest of
    # the cycle's coverage there becomes one "and N more matched items" reply.
    max_replies_per_thread: int = Field(10, ge=1, le=1000)
    # Besides these, each chat platform declares its own variables (tokens and the
    # like: SLACK_*, DISCORD_*), read by the composition root with ``load_section``.

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("audit_log")
    @classmethod
    def _audit_log_is_a_file(cls, value: Path | None) -> Path | None:
        # Checked at start: found out after a poll, the cycle would already be committed.
        if value is not None:
            if value.is_dir():
                raise ValueError(f"{value} is a directory; give a file path for the JSON lines")
            if value.exists() and not os.access(value, os.W_OK):
                raise ValueError(f"{value} is not writable")
            folder = next((p for p in value.parents if p.exists()), None)
            if folder is not None and not folder.is_dir():
                raise ValueError(f"{folder} is not a directory")
            if folder is not None and not value.exists() and not os.access(folder, os.W_OK):
                raise ValueError(f"cannot create {value}: {folder} is not writable")
        return value

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("admin_channel")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None


# Plain SQLAlchemy spellings people paste, mapped to the async drivers Threadline uses.
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def async_database_url(value: str) -> str:
    """``value`` with its scheme mapped to the async driver (``sqlite://`` →
    ``sqlite+aiosqlite://``, ``postgres(ql)://`` → ``postgresql+asyncpg://``).
    Raises ``ValueError`` for another driver or a URL that cannot be read; the
    message never repeats the URL (it may hold a password)."""
    scheme, sep, rest = value.strip().partition("://")
    driver = _DRIVERS.get(scheme.lower())
    if not sep or driver is None:
        raise ValueError(
            "must start with sqlite:// or postgresql:// (or sqlite+aiosqlite://, "
            f"postgresql+asyncpg://); got {scheme[:40]}{sep}…"
        )
    url = f"{driver}://{rest}"
    try:
        parsed = make_url(url)
        _ = parsed.port
    except (ArgumentError, ValueError):
        raise ValueError(
            "is not a valid database URL (expected e.g. "
            "postgresql://user@host:5432/name or sqlite:///data/threadline.db)"
        ) from None
    if driver.startswith("postgresql") and not parsed.host:
        raise ValueError("a PostgreSQL URL needs a host, e.g. postgresql://user@host:5432/name")
    return url


SectionT = TypeVar("SectionT", bound=BaseSettings)


def _variable(section: type[BaseSettings], loc: tuple[Any, ...]) -> str:
    """The environment variable of a settings field ("" for the settings as a
    whole): its first alias (``SLACK_BOT_TOKEN``), else prefix and name."""
    if not loc:
        return ""
    name = str(loc[0])
    field = section.model_fields.get(name)
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    if isinstance(alias, str):
        return alias
    return f"{section.model_config.get('env_prefix', '')}{name}".upper()


def load_section(section: type[SectionT], **overrides: Any) -> SectionT:
    """Read ``section`` (a ``BaseSettings`` class: these settings, or a chat
    platform's own) from the environment and ``.env``, then apply
    ``overrides`` (None = not given). Raises ``ConfigError`` naming each
    variable that is wrong."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return section(**given)
    except ValidationError as exc:
        problems = validation_problems(exc, place=lambda loc: _variable(section, loc))
        raise ConfigError(f"invalid configuration: {problems}") from None
    except SettingsError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None


def load_settings(**overrides: Any) -> Settings:
    """Read the environment, then apply ``overrides`` (CLI flags; None = not given)."""
    return load_section(Settings, **overrides)
