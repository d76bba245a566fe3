"""The manifest an admin pastes matches what the code needs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.platforms.slack.app import COMMAND
from bot.platforms.slack.platform import METADATA_EVENT

REPO = Path(__file__).resolve().parents[3]
MANIFEST = REPO / "manifest.yaml"

#: The bot-token scopes each Web API method needs (slack_sdk's method names), from
#: Slack's method reference. A method the code calls that is missing here fails
#: the test below: add it with its scopes, and the scopes to manifest.yaml.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth_test": frozenset(),
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_postEphemeral": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "chat_delete": frozenset({"chat:write"}),
    # Public channels, then private ones: a followed channel may be either.
    "conversations_history": frozenset({"channels:history", "groups:history"}),
    "conversations_replies": frozenset({"channels:history", "groups:history"}),
    "conversations_info": frozenset({"channels:read", "groups:read"}),
    "users_info": frozenset({"users:read"}),
    "views_publish": frozenset(),
    # slack_sdk's files_upload_v2 is the external upload flow: it calls
    # files.getUploadURLExternal, posts the bytes, then files.completeUploadExternal.
    "files_upload_v2": frozenset({"files:write"}),
    "files_getUploadURLExternal": frozenset({"files:write"}),
    "files_completeUploadExternal": frozenset({"files:write"}),
}
_WEB_API_CALL = re.compile(
    r"\.((?:admin|apps|auth|bookmarks|bots|chat|conversations|dnd|emoji|files|pins|reactions"
    r"|reminders|search|stars|team|usergroups|users|views)_\w+)\("
)
_SLASH_COMMAND = re.compile(r"\bapp\.command\(")
_EVENT_LISTENER = re.compile(r"\bapp\.event\(\s*\"(\w+)\"")


def slack_code() -> str:
    """Every source file that can reach Slack's Web API."""
    return "\n".join(p.read_text("utf-8") for p in sorted((REPO / "bot").rglob("*.py")))


def scopes_the_code_needs() -> set[str]:
    code = slack_code()
    called = set(_WEB_API_CALL.findall(code))
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"Web API methods with no scopes listed in METHOD_SCOPES: {unknown}"
    needed = {scope for method in called for scope in METHOD_SCOPES[method]}
    if _SLASH_COMMAND.search(code):
        needed.add("commands")
    return needed


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def test_the_manifest_declares_exactly_the_scopes_the_code_uses() -> None:
    declared = set(manifest()["oauth_config"]["scopes"]["bot"])
    needed = scopes_the_code_needs()
    assert declared - needed == set(), "declared but never used"
    assert needed - declared == set(), "used but not declared"


def test_the_scan_sees_the_calls_the_platform_makes() -> None:
    # If the code is refactored so the scan no longer finds the calls, the
    # test above would pass vacuously: it must still see these.
    called = set(_WEB_API_CALL.findall(slack_code()))
    assert {"chat_postMessage", "chat_update", "conversations_history", "users_info"} <= called
    # The Home tab and the timeline pictures.
    assert {"views_publish", "files_upload_v2"} <= called


def test_the_manifest_subscribes_to_exactly_the_events_the_app_listens_to() -> None:
    # An event subscribed to with no listener is never acknowledged by Bolt
    # (Slack sends it again); a listener for an event not subscribed to never runs.
    listened = set(_EVENT_LISTENER.findall(slack_code()))
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    assert listened == subscribed == {"app_home_opened"}


def test_direct_messages_need_scopes_we_do_not_ask_for() -> None:
    # Recovery reads history where the bot posts; in DMs and group DMs that
    # would need im:history / mpim:history, so follows there are refused instead
    # (tests/platforms/slack/test_app.py: a follow from a DM is refused).
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert not scopes & {"im:history", "mpim:history", "im:read", "mpim:read"}


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
