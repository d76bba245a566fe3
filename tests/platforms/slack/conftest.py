from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.platforms.slack.platform import SlackPlatform, make_client
from tests.platforms.slack.samples import TOKEN
from tests.support.fake_slack import FakeSlack, fake_slack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with fake_slack(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return make_client(TOKEN, slack.url)


@pytest.fixture
def platform(client: AsyncWebClient) -> SlackPlatform:
    return SlackPlatform(client)
