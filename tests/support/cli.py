"""Running the real `threadline` CLI (``python -m bot``) in a subprocess."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# ``python -m bot`` in an interpreter where the packages named in argv[1] (comma
# separated) cannot be imported, as if they were not installed.
_WITHOUT = """
import runpy, sys
for name in sys.argv.pop(1).split(","):
    sys.modules[name] = None
sys.argv[0] = "threadline"
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


async def start(
    *args: str,
    env: dict[str, str],
    stdout: int = asyncio.subprocess.DEVNULL,
    stderr: int = asyncio.subprocess.DEVNULL,
    without: Sequence[str] = (),
) -> asyncio.subprocess.Process:
    """Start ``threadline ARGS`` from the repository (for tests that signal or kill it);
    ``without``: packages it runs as if they were not installed."""
    command = (
        [sys.executable, "-c", _WITHOUT, ",".join(without)]
        if without
        else [sys.executable, "-m", "bot"]
    )
    return await asyncio.create_subprocess_exec(
        *command, *args, env=env, cwd=REPO, stdout=stdout, stderr=stderr
    )


async def threadline(
    *args: str, env: dict[str, str], timeout: float = 120, without: Sequence[str] = ()
) -> tuple[int, str, str]:
    """Run ``threadline ARGS`` from the repository; returns (exit code, stdout, stderr)."""
    proc = await start(
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        without=without,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
