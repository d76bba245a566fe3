"""The manifest an admin pastes matches what the code needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.platforms.slack.app import COMMAND
from bot.platforms.slack.platform import METADATA_EVENT

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yaml"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_the_bot_has_the_scopes_of_every_method_it_calls() -> None:
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    # chat.postMessage/update, the slash command, conversations.history/replies in
    # public and private channels, users.info.
    assert {"chat:write", "commands", "channels:history", "groups:history", "users:read"} <= scopes
    assert "chat:write.public" not in scopes  # the bot must be a member to read its thread back


def test_the_slash_command_and_socket_mode_are_declared() -> None:
    data = manifest()
    [command] = data["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert "follow <storyline>" in command["usage_hint"]
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["org_deploy_enabled"] is False


def test_the_metadata_event_type_is_the_one_we_post() -> None:
    event = manifest()["events"][METADATA_EVENT]
    assert event["properties"]["outbox_id"]["type"] == "string"


def test_the_home_tab_and_its_event_are_declared_with_the_upload_scope() -> None:
    data = manifest()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    # files.getUploadURLExternal / files.completeUploadExternal (show's picture)
    assert "files:write" in data["oauth_config"]["scopes"]["bot"]
    assert "status" in data["features"]["slash_commands"][0]["usage_hint"]
