"""fakediscord: an in-process fake Discord (REST + gateway) on 127.0.0.1 for end-to-end tests of
unmodified discord.py bots. See README.md beside pyproject.toml; the reference is ``server``'s
docstring."""

from fakediscord.server import (
    FAKE_TOKEN,
    FakeDiscord,
    FakeDiscordTimeout,
    FakeInteraction,
    MessageExchange,
    RecordedRequest,
    make_snowflake,
)

__all__ = [
    "FAKE_TOKEN",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeInteraction",
    "MessageExchange",
    "RecordedRequest",
    "make_snowflake",
]
