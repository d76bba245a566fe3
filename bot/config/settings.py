"""Settings from the environment (``THREADLINE_*``, an optional ``.env``) and CLI flags.

Validated once at start; an invalid value is a ``ConfigError`` that names the
variable. Chat tokens are ``SecretStr`` so they never reach a log or a repr.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config.messages import validation_problems
from bot.core.subscriptions import ChannelAddress
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
    # Parse feeds in this many worker processes (0: in a thread of the bot process).
    parse_processes: int = Field(0, ge=0, le=64)
    # Comma-separated chat user ids treated as admins besides the platform's own.
    admins: Annotated[frozenset[str], NoDecode] = frozenset()
    # Where notices to admins go (a disabled feed or subscription): slack:C… or discord:…
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
    slack_api_url: str | None = None
    discord_api_url: str | None = None
    http_port: int = Field(3000, ge=1, le=65535)

    slack_bot_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "THREADLINE_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "THREADLINE_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "THREADLINE_SLACK_SIGNING_SECRET"),
    )
    discord_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("DISCORD_TOKEN", "THREADLINE_DISCORD_TOKEN")
    )

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
    def _channel_address(cls, value: str | None) -> str | None:
        if value:
            ChannelAddress.parse(value)
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


_ENV_NAMES = {
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "discord_token": "DISCORD_TOKEN",
}


def _variable(loc: tuple[Any, ...]) -> str:
    """The environment variable of a settings field ("" for the settings as a whole)."""
    if not loc:
        return ""
    field = str(loc[0])
    return _ENV_NAMES.get(field, f"THREADLINE_{field.upper()}")


def load_settings(**overrides: Any) -> Settings:
    """Read the environment, then apply ``overrides`` (CLI flags; None = not given)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = validation_problems(exc, place=_variable)
        raise ConfigError(f"invalid configuration: {problems}") from None
    except SettingsError as exc:
        raise ConfigError(f"invalid configuration: {exc}") from None
