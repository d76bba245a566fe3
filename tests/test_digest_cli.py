"""`threadline follow ID --channel … --digest daily [--digest-at HH:MM]
[--digest-tz ZONE]` and `--digest off`; `subscriptions list` shows each
channel's digest mode; bad digest input is one clear line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.cli import threadline

# The CLI in a subprocess, several times: `make test-all`.
pytestmark = pytest.mark.slow


@pytest.fixture
def flags(tmp_path: Path) -> list[str]:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds: []\n")
    return [
        "--database", f"sqlite:///{tmp_path / 'db.sqlite'}", "--feeds", str(feeds),
        "--storylines", str(REPO / "storylines"),
    ]  # fmt: skip


async def test_follow_with_a_digest_and_back_to_every_item(
    flags: list[str], env: dict[str, str]
) -> None:
    code, out, err = await threadline(
        "follow", "dod-dispute", "--channel", "slack:C1", "--digest", "daily",
        "--digest-at", "7:30", "--digest-tz", "Europe/Berlin", *flags, env=env,
    )  # fmt: skip
    assert code == 0, err
    assert "digest daily at 07:30 Europe/Berlin" in out
    code, out, err = await threadline(
        "follow", "fable-suspension", "--channel", "slack:C1", *flags, env=env
    )
    assert code == 0, err
    code, out, err = await threadline("subscriptions", "list", *flags, env=env)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].endswith("digest daily at 07:30 Europe/Berlin")
    assert lines[1].endswith("every item")

    code, out, err = await threadline(
        "follow", "dod-dispute", "--channel", "slack:C1", "--digest", "off", *flags, env=env
    )
    assert code == 0 and "every matched item is posted" in out, err
    code, out, err = await threadline("subscriptions", "list", *flags, env=env)
    assert out.strip().splitlines()[0].endswith("every item")


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--digest", "daily", "--digest-at", "9pm"], "must be HH:MM"),
        (["--digest", "daily", "--digest-tz", "Mars/Olympus"], "unknown time zone"),
        (["--digest-at", "09:00"], "go with --digest daily"),
        (["--digest", "off", "--digest-at", "09:00"], "takes no time"),
    ],
)
async def test_bad_digest_flags_are_one_line_and_exit_2(
    flags: list[str], env: dict[str, str], extra: list[str], says: str
) -> None:
    code, out, err = await threadline(
        "follow", "dod-dispute", "--channel", "slack:C1", *extra, *flags, env=env
    )
    assert code == 2 and says in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, out, err = await threadline("subscriptions", "list", *flags, env=env)
    assert out.strip() == "No subscriptions."
