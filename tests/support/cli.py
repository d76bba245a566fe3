"""Running the real `threadline` CLI (``python -m bot``) in a subprocess."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


async def start(
    *args: str,
    env: dict[str, str],
    stdout: int = asyncio.subprocess.DEVNULL,
    stderr: int = asyncio.subprocess.DEVNULL,
) -> asyncio.subprocess.Process:
    """Start ``threadline ARGS`` from the repository (for tests that signal or kill it)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=REPO, stdout=stdout, stderr=stderr
    )


async def threadline(*args: str, env: dict[str, str], timeout: float = 120) -> tuple[int, str, str]:
    """Run ``threadline ARGS`` from the repository; returns (exit code, stdout, stderr)."""
    proc = await start(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
