"""The entry points: the command line (``cli``), the long-running bot (``serve``)
and its loops (``schedule``). They ask ``bot.app`` to build the bot and run it."""
