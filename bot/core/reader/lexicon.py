"""The reader's knowledge of how news is written, loaded from data files.

Pure apart from reading its own files. ``lexicon/kinds.yaml`` names the event
kinds, their classes and what each does to a restriction; one file per language
(``lexicon/en.yaml``, ``fr.yaml``, …) gives the words: event lemmas per kind,
restriction nouns, context triggers with a category, a direction and a scope
(after ConText/NegEx), genre markers, qualifiers, stances, months. A new
language is a new file; nothing in the engine names a word of any language.

:func:`default_lexicon` loads and validates the shipped files once;
:func:`load_lexicon` loads another directory (tests, a deployment's own). A bad
file is a :class:`LexiconError` naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

LEXICON_DIR = Path(__file__).with_name("lexicon")

Category = Literal[
    "negated",  # polarity: the act did not happen ("not", "without")
    "refused",  # polarity: someone refused the act ("declined to pause"): that refusal is certain
    "ceased",  # "no longer X": the opposite of X holds now
    "possible",  # certainty: a hedge ("could", "if")
    "probable",  # certainty: an expectation ("likely", "expected to")
    "future",  # time: a plan or an announcement of what will happen
    "request",  # time: someone asks for it ("urges the court to")
    "purpose",  # time: "to restore access" states a purpose
    "historical",  # time: background, told after the fact ("after", "since")
    "terminate",  # ends every scope that crosses it ("but", "however")
    "pseudo",  # a longer phrase that holds a trigger but is none ("not only")
]
CATEGORIES: frozenset[str] = frozenset(Category.__args__)  # type: ignore[attr-defined]
Direction = Literal["forward", "backward", "both"]
#: How far a trigger reaches: a number of words (characters in scripts written
#: without spaces), the rest of its clause, or the rest of its sentence.
Scope = int | Literal["clause", "sentence"]
DEFAULT_SCOPE = 6

_LISTS = (
    "mentions",
    "restrictions",
    "penalties",
    "genres",
    "determiners",
    "participle_endings",
    "barriers",
    "statements",
    "own_staff",
    "internal",
    "stances",
    "qualifiers",
    "unrestricted",
    "ceilings",
    "avoided",
    "in_use",
    "started",
    "duration_units",
    "duration_lead",
    "copulas",
    "again",
    "popularity",
    "scales",
    "group_nouns",
    "approximators",
    "universal",
    "month_lead",
    "false_friends",
    "passive_prefixes",
    "object_markers",
    "function_words",
    "explainers",
)
_KEYS = frozenset(
    {
        "language",
        "lemmatiser",
        "script",
        "events",
        "triggers",
        "months",
        "numbers",
        "numerals",
        "object_before",
        *_LISTS,
    }
)


class LexiconError(ValueError):
    """A lexicon file that cannot be used; the message names the file and key."""


@dataclass(frozen=True, slots=True)
class Kind:
    """An event kind: its class, what it does to a restriction that is its object
    (``lift``, ``impose`` or ``None``), whether it is an act only on a restriction,
    and what "no longer <kind>" means."""

    name: str
    cls: str
    restriction: str | None = None
    needs_restriction: bool = False
    reverse: str | None = None
    names: bool = False
    object_after: bool = False  # its restriction must follow it


@dataclass(frozen=True, slots=True)
class Trigger:
    phrase: str
    category: str
    direction: Direction = "forward"
    scope: Scope = DEFAULT_SCOPE


@dataclass(frozen=True, slots=True, eq=False)
class Language:
    """One language's words. ``script`` is ``spaced`` (words between spaces,
    matched by lemma), ``unspaced`` (Chinese, Japanese: phrases match inside
    text) or ``prefixed`` (Korean: a phrase's word matches the start of a word,
    before its particles and endings)."""

    code: str
    lemmatiser: str | None
    script: Literal["spaced", "unspaced", "prefixed"]
    events: Mapping[str, tuple[str, ...]]
    triggers: tuple[Trigger, ...]
    lists: Mapping[str, tuple[str, ...]]
    months: Mapping[str, int]
    numbers: str | None  # "text2num" or None
    numerals: Mapping[str, int]
    #: Where an act's restriction may stand before it: ``always`` (verb-final
    #: languages, where it never stands after: "禁止命令を解除"), ``both`` (either
    #: side: "Gericht kippt Verbot", "Verbot gekippt"), ``participle`` (after it,
    #: or before a participle or passive form: "the ban was lifted", "larangan
    #: dicabut") or ``never``.
    object_before: str = "participle"

    def words(self, name: str) -> tuple[str, ...]:
        return self.lists.get(name, ())


@dataclass(frozen=True, slots=True, eq=False)
class Lexicon:
    """Every language's words and the kinds they fill."""

    kinds: Mapping[str, Kind]
    classes: Mapping[str, str]
    aliases: Mapping[str, str]
    languages: tuple[Language, ...]
    source: str = field(default="", compare=False)
    # Each language by its code (the first, should two share one): the reader
    # asks for a hit's language thousands of times an item.
    _by_code: Mapping[str, Language] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Language] = {}
        for lang in self.languages:
            by_code.setdefault(lang.code, lang)
        object.__setattr__(self, "_by_code", by_code)

    def class_of(self, kind: str) -> str:
        found = self.kinds.get(kind)
        return found.cls if found else kind

    def canonical(self, name: str) -> str:
        """A kind or class name as a storyline writes it ("cut off", "Side-with")."""
        key = " ".join(name.lower().replace("_", " ").replace("-", " ").split())
        return self.aliases.get(key, key.replace(" ", "_"))

    def is_known(self, name: str) -> bool:
        name = self.canonical(name)
        return name in self.kinds or name in self.classes

    def expand(self, name: str) -> frozenset[str]:
        """The kinds an event name stands for (a class stands for its kinds)."""
        name = self.canonical(name)
        if name in self.classes:
            return frozenset(k for k, kind in self.kinds.items() if kind.cls == name)
        return frozenset({name})

    def language(self, code: str) -> Language | None:
        return self._by_code.get(code)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon, loaded and validated once (the app loads it at start,
    so a broken file stops the bot there, not on the first item)."""
    return load_lexicon(LEXICON_DIR)


def load_lexicon(directory: Path) -> Lexicon:
    """``kinds.yaml`` and every other ``*.yaml`` of ``directory`` as a language."""
    kinds_file = directory / "kinds.yaml"
    raw = _read(kinds_file)
    classes = _mapping(raw.get("classes"), kinds_file, "classes")
    kinds: dict[str, Kind] = {}
    for name, spec in _mapping(raw.get("kinds"), kinds_file, "kinds").items():
        where = f"kinds.{name}"
        spec = _mapping(spec, kinds_file, where)
        unknown = set(spec) - {"class", "restriction", "object", "reverse", "names"}
        if unknown:
            raise LexiconError(f"{kinds_file.name}: {where}: unknown key {sorted(unknown)[0]!r}")
        cls = spec.get("class")
        if cls not in classes:
            raise LexiconError(f"{kinds_file.name}: {where}.class: {cls!r} is not a class")
        if spec.get("restriction") not in (None, "lift", "impose"):
            raise LexiconError(f"{kinds_file.name}: {where}.restriction: lift or impose")
        if spec.get("object") not in (None, "restriction", "restriction-after"):
            raise LexiconError(
                f"{kinds_file.name}: {where}.object: restriction or restriction-after"
            )
        kinds[str(name)] = Kind(
            str(name),
            str(cls),
            spec.get("restriction"),
            spec.get("object") in ("restriction", "restriction-after"),
            spec.get("reverse"),
            spec.get("names") == "true",
            spec.get("object") == "restriction-after",
        )
    for kind in kinds.values():
        if kind.reverse is not None and kind.reverse not in kinds:
            raise LexiconError(f"{kinds_file.name}: kinds.{kind.name}.reverse: unknown kind")
    aliases = {
        str(k): str(v) for k, v in _mapping(raw.get("aliases", {}), kinds_file, "aliases").items()
    }
    languages = tuple(
        _language(path, kinds)
        for path in sorted(directory.glob("*.yaml"))
        if path.name != "kinds.yaml"
    )
    if not languages:
        raise LexiconError(f"{directory}: no language files")
    return Lexicon(kinds, dict(classes), aliases, languages, str(directory))


# libyaml's loader where PyYAML has it: the same data, read ten times faster
# (0.24 s -> 0.03 s of the reader's preparation at start).
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def _read(path: Path) -> dict[str, Any]:
    try:
        # Every scalar a string: YAML 1.1 would read the words "no", "on", "off"
        # and "yes" as booleans, and a lexicon is made of such words.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path.name}: cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{path.name}: must be a mapping")
    return data


def _mapping(value: object, path: Path, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LexiconError(f"{path.name}: {where}: must be a mapping")
    return {str(k): v for k, v in value.items()}


def _phrases(value: object, path: Path, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{path.name}: {where}: must be a list of phrases")
    out = tuple(" ".join(str(v).split()) for v in value)
    if any(not p or p == "*" or p.startswith("* ") for p in out):
        raise LexiconError(f"{path.name}: {where}: a phrase is empty or starts with '*'")
    return out


def _numbers(value: object, path: Path, where: str) -> dict[str, int]:
    out = {}
    for key, number in _mapping(value or {}, path, where).items():
        if not isinstance(number, str) or not number.isdigit():
            raise LexiconError(f"{path.name}: {where}.{key}: must be a number")
        out[key] = int(number)
    return out


def _language(path: Path, kinds: Mapping[str, Kind]) -> Language:
    raw = _read(path)
    unknown = set(raw) - _KEYS
    if unknown:
        raise LexiconError(f"{path.name}: unknown key {sorted(unknown)[0]!r}")
    code = raw.get("language")
    if code != path.stem:
        raise LexiconError(f"{path.name}: language: must be {path.stem!r}")
    script = raw.get("script", "spaced")
    if script not in ("spaced", "unspaced", "prefixed"):
        raise LexiconError(f"{path.name}: script: spaced, unspaced or prefixed")
    events: dict[str, tuple[str, ...]] = {}
    for kind, phrases in _mapping(raw.get("events", {}), path, "events").items():
        if kind not in kinds:
            raise LexiconError(f"{path.name}: events.{kind}: unknown kind (see kinds.yaml)")
        events[kind] = _phrases(phrases, path, f"events.{kind}")
    triggers = []
    for i, spec in enumerate(raw.get("triggers") or ()):
        where = f"triggers[{i}]"
        spec = _mapping(spec, path, where)
        if set(spec) - {"phrase", "category", "direction", "scope"}:
            raise LexiconError(f"{path.name}: {where}: unknown key")
        (phrase,) = _phrases([spec.get("phrase")], path, f"{where}.phrase")
        category = spec.get("category")
        if category not in CATEGORIES:
            raise LexiconError(f"{path.name}: {where}.category: {category!r} is not a category")
        direction = spec.get("direction", "forward")
        if direction not in ("forward", "backward", "both"):
            raise LexiconError(f"{path.name}: {where}.direction: forward, backward or both")
        scope: Scope = spec.get("scope", DEFAULT_SCOPE)
        if isinstance(scope, str) and scope.isdigit():
            scope = int(scope)
        if not (scope in ("clause", "sentence") or (isinstance(scope, int) and 0 < scope < 100)):
            raise LexiconError(f"{path.name}: {where}.scope: a word count, clause or sentence")
        triggers.append(Trigger(phrase, category, direction, scope))
    lists = {name: _phrases(raw.get(name), path, name) for name in _LISTS}
    months = _numbers(raw.get("months"), path, "months")
    if any(not 1 <= m <= 12 for m in months.values()):
        raise LexiconError(f"{path.name}: months: values are 1 to 12")
    numerals = _numbers(raw.get("numerals"), path, "numerals")
    numbers = raw.get("numbers")
    if numbers not in (None, "text2num"):
        raise LexiconError(f"{path.name}: numbers: only 'text2num'")
    object_before = raw.get("object_before", "participle")
    if object_before not in ("always", "both", "participle", "never"):
        raise LexiconError(f"{path.name}: object_before: always, both, participle or never")
    lemmatiser = raw.get("lemmatiser")
    if lemmatiser is not None and not isinstance(lemmatiser, str):
        raise LexiconError(f"{path.name}: lemmatiser: a language code")
    return Language(
        code=str(code),
        lemmatiser=lemmatiser,
        script=script,
        events=events,
        triggers=tuple(triggers),
        lists=lists,
        months=months,
        numbers=numbers,
        numerals=numerals,
        object_before=object_before,
    )
