"""Discord adapter: embeds, the ChatPlatform over discord.py REST, /threadline commands."""
