"""``threadline storylines check FILE``: what an admin runs before dropping a new
storyline file into ``storylines/``.

The file is loaded with the same validation as the bot (errors name the file,
line and field) by the caller; this use case words the warnings of
:func:`bot.core.review.review`: very common words (Zipf frequencies from
``wordfreq``), phrases shared with the live storylines, phrases frequent in
unrelated sample items. ``try`` is :func:`bot.core.review.trial`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.items import Entry
from bot.core.review import Finding, format_findings, review
from bot.core.storyline import Storyline
from bot.errors import ConfigError

#: What brings wordfreq, an optional extra: only the storyline review and drafts use it.
WORDFREQ = (
    "the optional 'wordfreq' extra (English word frequencies): pip install 'threadline[wordfreq]'"
)


def commonness(word: str) -> float:
    """The word's Zipf frequency in English (0 unknown … 7 "the"), from wordfreq's
    bundled lists (no network)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


def optional_commonness() -> Callable[[str], float] | None:
    """:func:`commonness` when wordfreq is installed, else None (the running bot's
    drafts then keep very common words as topics)."""
    try:
        import wordfreq  # noqa: F401
    except ImportError:
        return None
    return commonness


def required_commonness(command: str) -> Callable[[str], float]:
    """:func:`commonness`, or a ConfigError that names what ``command`` needs installed."""
    found = optional_commonness()
    if found is None:
        raise ConfigError(f"{command} needs {WORDFREQ}")
    return found


def check(
    storyline: Storyline,
    where: str,
    others: Sequence[Storyline],
    sample: Sequence[Entry] = (),
    *,
    line_of: Callable[[tuple[str | int, ...]], int | None],
) -> str:
    """The check report of ``storyline`` (read from ``where``); ``line_of`` finds
    a field path's line in the file."""
    common = required_commonness("storylines check")
    findings: list[Finding] = review(storyline, others, commonness=common, sample=sample)
    head = (
        f"{where}: valid storyline {storyline.id!r} ({storyline.status}), "
        f"{len(storyline.facts)} facts; compared with {len(others)} live storylines"
        + (f" and {len(sample)} sample items" if sample else "")
    )
    if not findings:
        return head + "\nno warnings"
    body = format_findings(findings, line_of)
    noun = "warning" if len(findings) == 1 else "warnings"
    return f"{head}\n{len(findings)} {noun}:\n{body}"
