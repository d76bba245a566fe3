"""The pure core: plain data in, plain data out.

Nothing here performs I/O or imports slack_bolt, discord, sqlalchemy, aiohttp,
apscheduler or feedparser (``tests/test_architecture.py`` enforces it), and
nothing reads the clock: callers pass times in. All datetimes are aware UTC.
"""
