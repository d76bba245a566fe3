"""Discord adapter: embeds, the ChatPlatform over discord.py REST, /threadline commands."""

import warnings

# discord.py imports the stdlib ``audioop`` (voice support we do not use), which
# Python 3.11+ flags as deprecated. Import it once here with just that warning
# silenced, so the project's ``filterwarnings = error`` keeps meaning something.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord  # noqa: F401
