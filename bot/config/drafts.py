"""``threadline storylines suggest``: the drafts written as storyline files.

The drafting itself is :mod:`bot.core.suggest` (pure) and, over the stored
items, :mod:`bot.service.drafts`; this edge only writes YAML and says what it
wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from bot.core.suggest import Suggestion, draft_document
from bot.errors import ConfigError

_HEADER = (
    "# A draft storyline made by `threadline storylines suggest` from {items} items.\n"
    "# Check the names and the values, then `threadline storylines check` and `try` it\n"
    "# before copying it into the storylines folder.\n"
)


def write_drafts(suggestions: Sequence[Suggestion], out: Path) -> list[Path]:
    """One ``<id>.yaml`` per suggestion in ``out`` (created if missing; a draft
    of the same id is replaced). Returns the paths in the order given."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{out}: cannot create the drafts folder: {exc.strerror}") from None
    paths = []
    for s in suggestions:
        path = out / f"{s.id}.yaml"
        body = yaml.safe_dump(draft_document(s), sort_keys=False, allow_unicode=True, width=100)
        try:
            path.write_text(_HEADER.format(items=len(s.items)) + body, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot write the draft: {exc.strerror}") from None
        paths.append(path)
    return paths


def draft_line(path: Path, s: Suggestion) -> str:
    """What the command prints for one draft: path, items, outlets, first/last date."""
    outlets = ", ".join(s.outlets[:4]) + (
        f" and {len(s.outlets) - 4} more" if len(s.outlets) > 4 else ""
    )
    return (
        f"{path}: {len(s.items)} items from {len(s.outlets)} outlets ({outlets}), "
        f"{s.first:%Y-%m-%d} to {s.last:%Y-%m-%d}"
    )
