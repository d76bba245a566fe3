"""Slack: Block Kit rendering, the ChatPlatform adapter and the /threadline command."""
