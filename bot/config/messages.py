"""One wording for configuration problems (settings, feeds file, storyline files).

A YAML syntax error names the line and column; a pydantic validation error
becomes ``place (line N): what is wrong`` for at most five problems, joined
by ``; `` and followed by a count of the rest (``… and 9,997 more errors``),
so every `ConfigError` reads the same whichever file it is about, stays one
readable line however broken the file is, and never shows pydantic's wording
("Value error, ", model class names).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

MAX_PROBLEMS = 5
# pydantic adds union branch names ("str", "int", "datetime") to a location.
_UNION_BRANCHES = frozenset({"str", "int", "datetime", "date"})


def yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """``path: line L, column C: invalid YAML: problem``."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"{path}: line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {problem}"
    return f"{path}: invalid YAML: {problem}"


def validation_problems(
    exc: ValidationError,
    *,
    place: Callable[[tuple[Any, ...]], str] | None = None,
    yaml_text: str | None = None,
) -> str:
    """The problems of ``exc``, each as ``place: message``. ``place`` names a
    location (default: its dotted path, ``feeds[0].url``); a location it names
    ``""`` gives the bare message. With ``yaml_text``, the line of the
    offending node is added."""
    name = place or location_path
    errors = exc.errors()
    root = _compose(yaml_text) if yaml_text is not None else None
    parts = []
    for error in errors[:MAX_PROBLEMS]:
        loc = tuple(error["loc"])
        where = name(loc)
        line = _line_in(root, loc)
        at = f" (line {line})" if line else ""
        message = error_message(error)
        parts.append(f"{where}{at}: {message}" if where else message)
    return summarise(parts, total=len(errors))


def summarise(problems: list[str], *, total: int | None = None) -> str:
    """The first :data:`MAX_PROBLEMS` of ``problems`` joined by "; ", then
    "… and N more errors" when there are more (``total`` of them in all)."""
    text = "; ".join(problems[:MAX_PROBLEMS])
    more = (len(problems) if total is None else total) - min(len(problems), MAX_PROBLEMS)
    if more > 0:
        text += f"; … and {more:,} more error{'s' if more > 1 else ''}"
    return text


def error_message(error: Any) -> str:
    """A pydantic error's message in plain words: no "Value error, " prefix and
    no model class names ("a valid dictionary or instance of _FeedEntry")."""
    kind = error.get("type", "")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "should be a mapping (key: value)"
    if kind == "list_type":
        return "should be a list"
    message = str(error.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def location_path(loc: tuple[Any, ...]) -> str:
    """``("feeds", 0, "url")`` as ``feeds[0].url``, without pydantic's
    validator and union-branch parts."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "union[")):
            if part in _UNION_BRANCHES and out:
                continue
            out += f".{part}" if out else part
    return out


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the node that ``loc`` points to (or its nearest parent)."""
    return _line_in(_compose(text), loc)


def _line_in(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    if node is None:
        return None
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            node = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            break
    if node is not None:
        line = node.start_mark.line + 1
    return line
