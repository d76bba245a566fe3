"""Reading the YAML configuration files (``feeds.yaml``, storyline files) safely.

One place decides what a configuration file may be: at most ``max_bytes`` long
(read no further, so a huge file cannot exhaust memory), UTF-8, valid YAML and
without a key given twice in one mapping (YAML would keep the last one
silently). Every refusal is a ``ConfigError`` naming the file, the line when
there is one, and what is wrong (worded by :mod:`bot.config_messages`).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import yaml

from bot.config_messages import yaml_problem
from bot.errors import ConfigError

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
        raise ConfigError(yaml_problem(path, exc)) from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid YAML: nested too deeply") from None


def load_yaml(path: Path, *, max_bytes: int, what: str) -> tuple[Any, str]:
    """(document, text) of the YAML file ``path``; see the module docstring."""
    text = read_text(path, max_bytes=max_bytes, what=what)
    return parse_yaml(path, text), text
