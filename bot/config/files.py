"""Reading the YAML configuration files (``feeds.yaml``, storyline files) safely.

One place decides what a configuration file may be: a regular file (a FIFO,
device or directory is refused before anything is read, so nothing can hang
on it), at most ``max_bytes`` long (read no further, so a huge file cannot
exhaust memory), UTF-8, valid YAML without aliases (``*name``: a few hundred
bytes of aliases can stand for billions of values) and without a key given
twice in one mapping (YAML would keep the last one silently). Every refusal is
a ``ConfigError`` naming the file, the line when there is one, and what is
wrong (worded by :mod:`bot.config.messages`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Hashable
from pathlib import Path
from typing import IO, Any

import yaml

from bot.config.messages import yaml_problem
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


def open_regular_file(path: Path, *, what: str) -> IO[bytes]:
    """``path`` opened for reading in binary, refused (``ConfigError``) when it is
    missing, unreadable or not a regular file. Opened without blocking, so a
    FIFO with no writer is refused at once instead of waiting forever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ConfigError(f"{path}: {not_a_file(mode)}, not a {what}")
    # A regular file reads the same with or without O_NONBLOCK; clear it all the same.
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def not_a_file(mode: int) -> str:
    """What a path that is not a regular file is ("is a FIFO (named pipe)")."""
    kinds = (
        (stat.S_ISDIR, "is a directory"),
        (stat.S_ISFIFO, "is a FIFO (named pipe)"),
        (stat.S_ISCHR, "is a character device"),
        (stat.S_ISBLK, "is a block device"),
        (stat.S_ISSOCK, "is a socket"),
    )
    return next((text for test, text in kinds if test(mode)), "is not a regular file")


def read_text(path: Path, *, max_bytes: int, what: str) -> str:
    """The UTF-8 text of ``path``, refused when it is missing, unreadable, not a
    regular file, longer than ``max_bytes`` or not UTF-8."""
    with open_regular_file(path, what=what) as fh:
        try:
            data = fh.read(max_bytes + 1)
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


def refuse_aliases(path: Path, text: str) -> None:
    """Refuse the first YAML alias (``*name``, merge keys ``<<: *name`` too) in
    ``text`` before anything is built from it: nine lines of aliases, each
    repeating the one before nine times, stand for 387 million values, which
    would take minutes to walk or validate. Configuration never needs them."""
    if "*" not in text:
        return  # no alias without an asterisk: the common case costs one scan
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 0
                at = f"line {line}: " if line else ""
                raise ConfigError(
                    f"{path}: {at}YAML aliases (*{event.anchor}) are not allowed; "
                    "write the value out where it is needed"
                )
    except yaml.YAMLError:
        return  # a syntax error: the load that follows reports it with its line


def parse_yaml(path: Path, text: str) -> Any:
    """The YAML document in ``text`` (read from ``path``); aliases are refused."""
    refuse_aliases(path, text)
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
