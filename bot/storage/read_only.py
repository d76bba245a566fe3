"""Opening an SQLite database this process may read but not write.

Read-only commands (``feeds list``, ``storylines list|show|try``,
``subscriptions list``) must work on a database file or folder that is
read-only (a backup, a mounted snapshot, another user's bot). SQLite reads
such a file when asked with ``mode=ro``; in WAL mode it also needs the
shared-memory file ``-shm`` beside it, so where the folder cannot take one and
none is there, the file is opened ``immutable`` (nothing may change it while
it is read: true of a file and folder nobody can write).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import make_url

from bot.storage.problems import sqlite_path


def read_only_url(database_url: str) -> str | None:
    """The URL that opens the SQLite database of ``database_url`` read-only, when
    its file exists and this process cannot write it or its folder; None when
    it can be opened as usual (or is not an SQLite file)."""
    path = sqlite_path(database_url)
    if path is None or not path.is_file():
        return None
    folder_writable = os.access(path.parent, os.W_OK | os.X_OK)
    # access() honours the immutable flag, which binds root too.
    if os.access(path, os.R_OK | os.W_OK) and folder_writable:
        return None
    shm = Path(f"{path}-shm")
    shared = shm.is_file() and shm.stat().st_size > 0  # one a WAL reader left or holds open
    mode = "mode=ro" if folder_writable or shared else "mode=ro&immutable=1"
    driver = make_url(database_url).drivername
    return f"{driver}:///file:{quote(str(path.resolve()))}?{mode}&uri=true"
