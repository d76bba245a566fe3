"""A ``/threadline`` line as a person typed it, read into a ``CommandRequest``. Pure.

Slack (and the CLI, and tests) hand us one line of text. ``shlex`` reads it as a
shell would: an apostrophe opens a quotation (``O'Reilly Radar`` fails with "No
closing quotation") and quotes inside a word vanish (``The "Verge"`` becomes
``The Verge``). People are not typing shell, so this reader follows simpler rules:

* words are separated by white space;
* a word that *starts* with a quote (``"`` ``'`` ``“`` ``‘`` ``«``) whose closing quote
  ends a later word (or the same one) is one value, without the quotes; a quote
  that is not closed that way is an ordinary character (``O'Reilly``, ``Rock 'n'``);
* a command whose last value is "the rest" (``feeds add <url> [name]``) takes the
  rest of the line verbatim, quotes and all, unless the whole rest is one quoted
  value (``"The Verge"``), which is then taken without its quotes;
* ``option:value`` words set the command's named options (a Discord user's habit,
  ``follow storyline:dod-dispute``); any other word with a colon (a URL) is a value.

Adding a command is one ``CommandSpec`` in ``COMMANDS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.commands import CommandRequest

# An opening quote and the closing quotes that may match it (phones and Slack's
# editor turn straight quotes into curly ones, often only one side of them).
_QUOTES = {
    '"': '"”',
    "“": '”"',
    "„": '“”"',
    "'": "'’",
    "‘": "’'",
    "«": "»",
}
_OPTION = re.compile(r"([a-z][a-z_-]*):(.+)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command's values: ``params`` in order (all required), then ``rest`` (an
    optional value that takes the rest of the line), and ``named`` options that
    are only given as ``option:value``."""

    params: tuple[str, ...] = ()
    rest: str | None = None
    named: frozenset[str] = frozenset()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.params) | self.named | ({self.rest} if self.rest else set())


COMMANDS: dict[str, CommandSpec] = {
    "help": CommandSpec(),
    "follow": CommandSpec(("storyline",), named=frozenset({"digest", "at", "tz"})),
    "unfollow": CommandSpec(("storyline",)),
    "storylines": CommandSpec(),
    "show": CommandSpec(("storyline",)),
    "status": CommandSpec(),
    "feeds list": CommandSpec(),
    "feeds add": CommandSpec(("url",), rest="name"),
    "feeds remove": CommandSpec(("feed",)),
}
#: Other spellings of a command (what the line starts with → the command).
ALIASES = {"": "help", "list": "storylines", "feeds": "feeds list"}


class CommandTextError(ValueError):
    """The line is not a command we know, or its values do not fit it. The
    message says which, in words for the person who typed it."""


class UnknownCommand(CommandTextError):
    """The line names no command: the person may need the whole list."""


@dataclass(frozen=True, slots=True)
class Word:
    value: str  # without its quotes when it was quoted
    start: int  # where it starts in the line (its opening quote, if any)
    quoted: bool


def split_words(text: str) -> list[Word]:
    """The words of ``text`` by the rules in the module docstring."""
    words: list[Word] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        closers = _QUOTES.get(text[i])
        if closers is not None:
            close = _closing_quote(text, i, closers)
            if close is not None:
                words.append(Word(text[i + 1 : close], i, quoted=True))
                i = close + 1
                continue
        end = i
        while end < n and not text[end].isspace():
            end += 1
        words.append(Word(text[i:end], i, quoted=False))
        i = end
    return words


def _closing_quote(text: str, start: int, closers: str) -> int | None:
    """The index of the quote closing the one at ``start``: one of ``closers``
    followed by white space or the end of the line; None if there is none."""
    for at in range(start + 1, len(text)):
        if text[at] in closers and (at + 1 == len(text) or text[at + 1].isspace()):
            return at
    return None


def read_command(text: str) -> CommandRequest:
    """The command ``text`` asks for. Raises ``CommandTextError`` when it names
    no command or gives it more values than it takes."""
    words = split_words(text.strip())
    plain = [w.value.lower() if not w.quoted else None for w in words[:2]]
    name, used = _command_name(plain)
    if name is None:
        raise UnknownCommand(f"Unknown command {text.strip()!r}.")
    spec = COMMANDS[name]
    options: dict[str, str] = {}
    positional: list[str] = []
    for word in words[used:]:
        if spec.rest and len(positional) == len(spec.params) and spec.rest not in options:
            rest = _rest_of_line(text, word.start)
            # "name:O'Reilly Radar", as Discord shows the option: the name is the rest.
            options[spec.rest] = (
                _rest_of_line(rest, len(spec.rest) + 1)
                if (not word.quoted and rest.startswith(f"{spec.rest}:"))
                else rest
            )
            break
        option = None if word.quoted else _OPTION.fullmatch(word.value)
        if option and option.group(1) in spec.names:
            options[option.group(1)] = option.group(2)
            continue
        positional.append(word.value)
    free = [p for p in spec.params if p not in options]
    if len(positional) > len(free):
        extra = " ".join(positional[len(free) :])
        raise CommandTextError(f"`{name}` does not take {extra!r}. Usage: {usage(name)}")
    options.update(zip(free, positional, strict=False))
    return CommandRequest(name, options)


def _command_name(plain: list[str | None]) -> tuple[str | None, int]:
    """The command the first words name, and how many words that took."""
    first = plain[0] if plain else ""
    second = plain[1] if len(plain) > 1 else None
    if first is not None and second is not None and f"{first} {second}" in COMMANDS:
        return f"{first} {second}", 2
    if first is None:
        return None, 0
    name = ALIASES.get(first, first)
    return (name, 1 if plain else 0) if name in COMMANDS else (None, 0)


def _rest_of_line(text: str, start: int) -> str:
    rest = text[start:].strip()
    words = split_words(rest)
    if len(words) == 1 and words[0].quoted:
        return words[0].value
    return rest


def usage(name: str) -> str:
    """``feeds add <url> [name]``: how to type the command ``name``."""
    spec = COMMANDS[name]
    parts = [name, *(f"<{p}>" for p in spec.params)]
    if spec.rest:
        parts.append(f"[{spec.rest}]")
    parts.extend(f"[{o}:…]" for o in sorted(spec.named))
    return " ".join(parts)
