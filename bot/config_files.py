"""Reading the YAML configuration files (``feeds.yaml``, storyline files) safely.

One place decides what a configuration file may be: at most ``max_bytes`` long
(read no further, so a huge file cannot exhaust memory), UTF-8, valid YAML and
without a key given twice in one mapping (YAML would keep the last one
silently). Every refusal is a ``ConfigError`` naming the file, the line when
there is one, and what is wrong. ``summarise`` keeps a long list of problems
to a few lines plus a count.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import ConfigError

SHOWN_PROBLEMS = 5


# libyaml's parser when PyYAML was built with it: several times faster on a big file.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses a mapping with the same key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Hashable, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the base constructor reports unhashable keys
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = line
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def read_text(path: Path, *, max_bytes: int, what: str) -> str:
    """The UTF-8 text of ``path``, refused when it is missing, unreadable, longer
    than ``max_bytes`` or not UTF-8."""
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ConfigError(
            f"{path}: the {what} is larger than the limit of {max_bytes:,} bytes "
            f"({max_bytes // 1024 // 1024 or 1} MB); split it or remove entries"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def parse_yaml(path: Path, text: str) -> Any:
    """The YAML document in ``text`` (read from ``path``)."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_message(path, exc)) from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None


def load_yaml(path: Path, *, max_bytes: int, what: str) -> tuple[Any, str]:
    """(document, text) of the YAML file ``path``; see the module docstring."""
    text = read_text(path, max_bytes=max_bytes, what=what)
    return parse_yaml(path, text), text


def yaml_message(path: Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"{path}: line {mark.line + 1}, column {mark.column + 1}: invalid YAML: {problem}"
    return f"{path}: invalid YAML: {problem}"


def summarise(problems: Sequence[str], *, shown: int = SHOWN_PROBLEMS) -> str:
    """The first ``shown`` problems joined by "; ", then "… and N more errors"."""
    text = "; ".join(problems[:shown])
    more = len(problems) - shown
    if more > 0:
        text += f"; … and {more:,} more error{'s' if more > 1 else ''}"
    return text


def error_message(err: Any) -> str:
    """A pydantic error's message without pydantic's wording for people who never
    wrote Python: no "Value error, " prefix, no model class names."""
    kind = err.get("type", "")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "should be a mapping (key: value)"
    if kind == "list_type":
        return "should be a list"
    msg = str(err.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    return msg


def validation_problems(exc: ValidationError) -> list[str]:
    """``field.path: message`` for each error of ``exc``."""
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in err["loc"])
        loc = loc.replace(".[", "[") or "(top level)"
        problems.append(f"{loc}: {error_message(err)}")
    return problems
