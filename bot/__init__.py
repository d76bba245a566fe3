"""Threadline: one thread per storyline, with the storyline's disputed facts tracked."""

__version__ = "0.1.0"
