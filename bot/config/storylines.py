"""Load storyline files (``storylines/<id>.yaml``) into :class:`bot.core.storyline.Storyline`.

Each file is read by :mod:`bot.config.files` (UTF-8, a size limit, no key given
twice), validated by the pydantic schema
below and converted to the frozen core dataclasses. Every problem becomes a
:class:`~bot.errors.ConfigError` whose message names the file, where the
problem is (the line for YAML syntax errors; the field path such as
``facts[0].values[2].value``, plus its line when known) and what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config.files import load_yaml
from bot.config.messages import line_of, location_path, validation_problems
from bot.core.patterns import PatternTooLarge, check_pattern, compile_pattern
from bot.core.reader import LexiconError, default_lexicon
from bot.core.storyline import (
    FactSpec,
    FactValueSpec,
    MatchRules,
    SeededClaim,
    Sibling,
    Storyline,
    TermGroup,
)
from bot.core.text import unspaced
from bot.errors import ConfigError

MAX_FILE_BYTES = 1024 * 1024
MAX_PHRASES = 5_000
#: What all ``patterns`` of one storyline may stand for together once their
#: repeats are written out (one pattern: ``bot.core.patterns.MAX_PATTERN_SIZE``);
#: about 15 MB compiled.
MAX_PATTERN_TOTAL = 50_000
# A date written without a time zone may be a day ahead of UTC somewhere.
FUTURE_SLACK = timedelta(days=1)


def _long_enough(phrase: str) -> str:
    """One character is a word in Chinese, Japanese or Korean ("禁"), and a
    capital letter can be a name ("X"); any other one character would match
    inside every text."""
    text = phrase.strip()
    if len(text) == 1 and not (unspaced(text) or ("A" <= text <= "Z") or text.isdigit()):
        raise ValueError(
            "a one-character phrase must be a Chinese, Japanese or Korean character, "
            "a capital letter or a digit"
        )
    if not text:
        raise ValueError("a phrase cannot be empty")
    return phrase


Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
FactId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
Phrase = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_long_enough)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TermGroupModel(_Model):
    name: Slug
    phrases: list[Phrase] = Field(min_length=1)
    fuzzy: bool = True


class SiblingModel(_Model):
    name: Slug
    description: str = ""
    phrases: list[Phrase] = []
    storyline: Slug | None = None
    instead_of: Literal["actors", "parties", "subjects"] | None = None

    @model_validator(mode="after")
    def _names_something(self) -> SiblingModel:
        if not self.phrases and self.storyline is None:
            raise ValueError("a sibling needs 'phrases' (what tells it apart) or 'storyline'")
        return self


class MatchModel(_Model):
    actors: list[TermGroupModel] = []
    topics: list[TermGroupModel] = []
    subjects: list[TermGroupModel] = []
    parties: list[TermGroupModel] = []
    boosters: list[TermGroupModel] = []
    exclude: list[TermGroupModel] = []
    siblings: list[SiblingModel] = []
    since: datetime | date | None = None
    until: datetime | date | None = None
    threshold: float = Field(default=60.0, ge=0, le=100)

    @model_validator(mode="after")
    def _can_match(self) -> MatchModel:
        # Either rule must be satisfiable: actor + topic, or subject + anything.
        if not self.subjects and not (self.actors and self.topics):
            raise ValueError(
                "needs 'subjects' (what the story is about), or both 'actors' and 'topics'"
            )
        names = [s.name for s in self.siblings]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"sibling names must be unique; repeated: {', '.join(dupes)}")
        return self


class ValueModel(_Model):
    value: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][\w .-]*$")]
    label: str = Field(min_length=1)
    cues: list[Phrase] = []
    events: list[str] | None = None
    subject: list[Phrase] = []
    partial_of: str | None = None

    @field_validator("events")
    @classmethod
    def _known_events(cls, names: list[str] | None) -> list[str] | None:
        for name in names or []:
            words = name.strip().split(" ", 1)
            kind = words[1] if words[0].lower() in {"not", "may"} and len(words) > 1 else name
            lexicon = default_lexicon()
            if not lexicon.is_known(kind):
                known = ", ".join(sorted({*lexicon.kinds, *lexicon.classes}))
                raise ValueError(f"unknown event {kind!r}; known events: {known}")
        return names


class HistoryModel(_Model):
    value: str | int
    date: datetime | date
    source: str = Field(min_length=1)
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")


class FactModel(_Model):
    id: FactId
    label: str = Field(min_length=1)
    kind: Literal["enum", "integer", "text"]
    description: str = ""
    required: bool = False
    values: list[ValueModel] = []
    patterns: list[str] = []
    history: list[HistoryModel] = []
    subject: list[Phrase] = []
    qualifiers: list[Phrase] = []

    @field_validator("patterns")
    @classmethod
    def _patterns_capture_value(cls, patterns: list[str]) -> list[str]:
        for i, pattern in enumerate(patterns):
            try:
                compiled = compile_pattern(pattern)
            except PatternTooLarge as exc:
                raise ValueError(f"pattern {i}: {exc}") from None
            except regex.error as exc:
                raise ValueError(f"pattern {i} is not a valid regular expression: {exc}") from exc
            if "value" not in compiled.groupindex:
                raise ValueError(f"pattern {i} needs a named group (?P<value>...)")
        return patterns

    @model_validator(mode="after")
    def _vocabulary_fits_kind(self) -> FactModel:
        if self.kind == "enum" and not self.values:
            raise ValueError("an enum fact needs at least one entry in 'values'")
        if self.kind != "enum" and not self.patterns and not self.values:
            raise ValueError(f"a {self.kind} fact needs 'patterns' (or 'values' with cues)")
        seen: set[str] = set()
        for v in self.values:
            if v.value in seen:
                raise ValueError(f"value {v.value!r} is listed twice")
            seen.add(v.value)
        for v in self.values:
            if v.partial_of is not None and (v.partial_of not in seen or v.partial_of == v.value):
                raise ValueError(
                    f"value {v.value!r}: partial_of {v.partial_of!r} is not another value"
                )
        for i, h in enumerate(self.history):
            text = str(h.value)
            if self.kind == "enum" and text not in seen:
                allowed = ", ".join(sorted(seen))
                raise ValueError(f"history[{i}].value {text!r} is not one of the values: {allowed}")
            if self.kind == "integer" and not re.fullmatch(r"-?\d+", text):
                raise ValueError(f"history[{i}].value {text!r} is not an integer")
        return self


class StorylineModel(_Model):
    id: Slug
    title: str = Field(min_length=1)
    description: str = ""
    status: Literal["open", "closed"] = "open"
    authoritative_sources: list[str] = []
    match: MatchModel
    facts: list[FactModel] = []

    @field_validator("facts")
    @classmethod
    def _unique_fact_ids(cls, facts: list[FactModel]) -> list[FactModel]:
        ids = [f.id for f in facts]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"fact ids must be unique; repeated: {', '.join(dupes)}")
        return facts


def load_storylines(directory: Path) -> list[Storyline]:
    """Every ``*.yaml`` / ``*.yml`` storyline in ``directory``, sorted by id.

    Raises ConfigError if the directory is missing, a file is invalid, or two
    files declare the same id.
    """
    if not directory.is_dir():
        raise ConfigError(f"{directory}: storylines directory not found")
    try:
        default_lexicon()  # the reader's words: a broken lexicon file stops the bot here
    except LexiconError as exc:
        raise ConfigError(f"fact reader lexicon: {exc}") from None
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    storylines: list[Storyline] = []
    origin: dict[str, Path] = {}
    for path in paths:
        storyline = load_storyline(path)
        if storyline.id in origin:
            first = origin[storyline.id]
            raise ConfigError(
                f"{path}: storyline id {storyline.id!r} is already defined in {first}"
            )
        origin[storyline.id] = path
        storylines.append(storyline)
    return sorted(storylines, key=lambda s: s.id)


def load_storyline(path: Path | str, *, now: datetime | None = None) -> Storyline:
    """One storyline file. Its ``id`` must equal the file name without extension.

    Limits: the file is at most :data:`MAX_FILE_BYTES`, with no YAML alias; it
    holds at most :data:`MAX_PHRASES` phrases and cues in all; each pattern is
    within ``bot.core.patterns.MAX_PATTERN_SIZE`` and all of them within
    :data:`MAX_PATTERN_TOTAL` (checked before any is compiled); no history
    entry is dated after ``now`` (default: the system clock) plus a day of
    time-zone slack."""
    path = Path(path)
    data, text = load_yaml(path, max_bytes=MAX_FILE_BYTES, what="storyline file")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a storyline file must be a mapping (id, title, match, facts)")
    # Counted before validation: half a million phrases would take a minute to validate.
    phrases = _phrase_count(data)
    if phrases > MAX_PHRASES:
        raise ConfigError(
            f"{path}: {phrases:,} phrases and cues; the limit is {MAX_PHRASES:,} per storyline"
        )
    _check_pattern_sizes(path, data, text)
    try:
        model = StorylineModel.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, place=_place, yaml_text=text)
        raise ConfigError(f"{path}: {problems}") from None
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    for i, fact in enumerate(model.facts):
        for j, h in enumerate(fact.history):
            if _as_utc(h.date) > latest:
                loc = ("facts", i, "history", j, "date")
                line = line_of(text, loc)
                at = f" (line {line})" if line else ""
                raise ConfigError(
                    f"{path}: facts[{i}].history[{j}].date{at}: {_as_utc(h.date):%Y-%m-%d} "
                    "is in the future; "
                    "history records what already happened"
                )
    if model.id != path.stem:
        raise ConfigError(
            f"{path}: id: {model.id!r} must equal the file name {path.stem!r} "
            f"(rename the file or the id)"
        )
    return _to_storyline(model)


def _phrase_count(data: Any) -> int:
    """How many strings the lists of a storyline document hold (phrases, cues,
    patterns, sources …): what matching has to index."""
    if isinstance(data, dict):
        return sum(_phrase_count(v) for v in data.values())
    if isinstance(data, list):
        return sum(1 if isinstance(v, str) else _phrase_count(v) for v in data)
    return 0


def _check_pattern_sizes(path: Path, data: dict[Any, Any], text: str) -> None:
    """Refuse a pattern too large to compile, or patterns too large together,
    before validation compiles any (an invalid one is left to validation)."""
    facts = data.get("facts")
    total = 0
    for i, fact in enumerate(facts if isinstance(facts, list) else []):
        patterns = fact.get("patterns") if isinstance(fact, dict) else None
        for j, pattern in enumerate(patterns if isinstance(patterns, list) else []):
            if not isinstance(pattern, str):
                continue
            loc = ("facts", i, "patterns", j)
            try:
                total += check_pattern(pattern)
            except PatternTooLarge as exc:
                problem = str(exc)
            except regex.error:
                continue
            else:
                if total <= MAX_PATTERN_TOTAL:
                    continue
                problem = (
                    "the patterns of this storyline stand for more than "
                    f"{MAX_PATTERN_TOTAL:,} characters together once their repeats are "
                    "written out, the limit"
                )
            line = line_of(text, loc)
            at = f" (line {line})" if line else ""
            raise ConfigError(f"{path}: {location_path(loc)}{at}: {problem}")


def _to_storyline(model: StorylineModel) -> Storyline:
    m = model.match
    return Storyline(
        id=model.id,
        title=model.title.strip(),
        description=" ".join(model.description.split()),
        status=model.status,
        match=MatchRules(
            actors=_groups(m.actors),
            topics=_groups(m.topics),
            boosters=_groups(m.boosters),
            exclude=_groups(m.exclude),
            threshold=m.threshold,
            subjects=_groups(m.subjects),
            parties=_groups(m.parties),
            siblings=tuple(
                Sibling(
                    x.name,
                    tuple(p.strip() for p in x.phrases),
                    x.storyline,
                    " ".join(x.description.split()),
                    x.instead_of,
                )
                for x in m.siblings
            ),
            since=None if m.since is None else _as_utc(m.since),
            until=None if m.until is None else _as_utc(m.until, end_of_day=True),
        ),
        facts=tuple(_fact(f) for f in model.facts),
        authoritative_sources=tuple(s.strip().lower() for s in model.authoritative_sources),
    )


def _groups(groups: Sequence[TermGroupModel]) -> tuple[TermGroup, ...]:
    return tuple(TermGroup(g.name, tuple(p.strip() for p in g.phrases), g.fuzzy) for g in groups)


def _fact(f: FactModel) -> FactSpec:
    return FactSpec(
        id=f.id,
        label=f.label,
        kind=f.kind,
        values=tuple(
            FactValueSpec(
                v.value,
                v.label,
                tuple(v.cues),
                events=None if v.events is None else tuple(e.strip() for e in v.events),
                subject=tuple(p.strip() for p in v.subject),
                partial_of=v.partial_of,
            )
            for v in f.values
        ),
        history=tuple(
            SeededClaim(str(h.value), _as_utc(h.date), h.source, h.url)
            for h in sorted(f.history, key=lambda h: _as_utc(h.date))
        ),
        required=f.required,
        description=" ".join(f.description.split()),
        patterns=tuple(f.patterns),
        subject=tuple(p.strip() for p in f.subject),
        qualifiers=tuple(p.strip() for p in f.qualifiers),
    )


def _as_utc(value: datetime | date, *, end_of_day: bool = False) -> datetime:
    """A date or time as aware UTC; a plain date is its start (or, for an
    ``until``, its last moment: the whole day is still in the story)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time.max if end_of_day else time(), tzinfo=UTC)


# --- error messages -------------------------------------------------------------------------


def _place(loc: tuple[Any, ...]) -> str:
    return location_path(loc) or "(top level)"


def live_storylines(directory: Path | None) -> list[Storyline]:
    """The storylines of ``directory`` (none when there is no such directory), to
    review a new storyline file against."""
    if directory is None or not directory.is_dir():
        return []
    return load_storylines(directory)
