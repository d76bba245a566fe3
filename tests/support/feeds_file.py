"""Writing a feeds.yaml for a test (the file `threadline` reads with --feeds)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml


def write_feeds(
    path: Path, feeds: Iterable[tuple[str, str]], *, interval: int | None = None
) -> Path:
    """Write ``feeds`` (url, name) to ``path`` as a feeds file, each with
    ``interval`` seconds when given; returns ``path``."""
    entries = [
        {"url": url, "name": name, **({"interval": interval} if interval is not None else {})}
        for url, name in feeds
    ]
    path.write_text(yaml.safe_dump({"feeds": entries}, sort_keys=False), encoding="utf-8")
    return path
