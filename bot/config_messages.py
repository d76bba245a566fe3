"""One wording for configuration problems (settings, feeds file, storyline files).

A YAML syntax error names the line and column; a pydantic validation error
becomes ``place (line N): what is wrong`` for at most five problems, joined
by ``; ``, so every `ConfigError` reads the same whichever file it is about.
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
    parts = []
    for error in errors[:MAX_PROBLEMS]:
        loc = tuple(error["loc"])
        where = name(loc)
        line = _line_of(yaml_text, loc) if yaml_text is not None else None
        at = f" (line {line})" if line else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}{at}: {message}" if where else message)
    more = len(errors) - MAX_PROBLEMS
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


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


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the node that ``loc`` points to (or its nearest parent)."""
    try:
        node: yaml.Node | None = yaml.compose(text)
    except yaml.YAMLError:
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
