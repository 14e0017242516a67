"""End-to-end checks that an unmodified discord.py client works against tests/fake_discord.py."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from fakediscord import FAKE_TOKEN, FakeDiscord, FakeDiscordTimeout

DESTINATIONS = ["Airport", "Aquarium", "Beach", "Central Station"]


class ConfirmView(discord.ui.View):
    def __init__(self, destination: str) -> None:
        super().__init__(timeout=60)
        self.destination = destination

    @discord.ui.button(label="Confirm", custom_id="confirm", style=discord.ButtonStyle.success)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(
            content=f"Confirmed ride to {self.destination} by {interaction.user.name}", view=None
        )


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Your feedback", custom_id="feedback_text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks {interaction.user.name}: {self.text.value}")


class TinyBot(commands.Bot):
    """Throwaway bot: one slash command with autocomplete + a button, a few extras, an on_message."""

    def __init__(self, fake: FakeDiscord, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(
            command_prefix="!", intents=intents, guild_ready_timeout=0.1, http_trace=fake.loopback_guard()
        )
        self.seen_contents: list[str] = []
        self.guild_id = fake.guild_id

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(name="ride", description="Book a ride")
        @app_commands.describe(destination="Where to")
        async def ride(interaction: discord.Interaction, destination: str) -> None:
            await interaction.response.send_message(f"Riding to {destination}", view=ConfirmView(destination))

        @ride.autocomplete("destination")
        async def ride_autocomplete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=d, value=d)
                for d in DESTINATIONS
                if d.lower().startswith(current.lower())
            ]

        @tree.command(name="settings", description="Moderators only")
        @app_commands.checks.has_permissions(manage_guild=True)
        async def settings(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("settings ok", ephemeral=True)

        @settings.error
        async def settings_error(
            interaction: discord.Interaction, error: app_commands.AppCommandError
        ) -> None:
            if isinstance(error, app_commands.MissingPermissions):
                await interaction.response.send_message("no permission", ephemeral=True)

        @tree.command(name="report", description="Deferred answer + followup")
        async def report(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(content="report ready")
            await interaction.followup.send("details", ephemeral=True)

        @tree.command(name="feedback", description="Opens a modal")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @tree.context_menu(name="Quote")
        async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"> {message.content} (by {message.author.name})")

        config = app_commands.Group(name="config", description="Guild-only settings")

        @config.command(name="set", description="Assign a role in a channel")
        async def config_set(
            interaction: discord.Interaction,
            who: discord.Member,
            role: discord.Role,
            where: discord.TextChannel,
            limit: int = 1,
        ) -> None:
            await interaction.response.send_message(f"{who.name}|{role.name}|{where.name}|{limit}")

        tree.add_command(config, guild=discord.Object(self.guild_id))

        @commands.command()
        async def echo(ctx: commands.Context, *, text: str) -> None:
            await ctx.send(text)

        self.add_command(echo)
        await tree.sync()
        await tree.sync(guild=discord.Object(self.guild_id))

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen_contents.append(message.content)
        if message.content == "ping" or self.user in message.mentions:
            await message.reply("pong")
        await self.process_commands(message)


@pytest_asyncio.fixture
async def fake():
    saved = (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        discord.asset.Asset.BASE,
    )
    async with FakeDiscord() as fake:
        assert discord.http.Route.BASE.startswith("http://127.0.0.1:")
        yield fake
    assert (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        discord.asset.Asset.BASE,
    ) == saved
    assert not fake.internal_errors, fake.internal_errors
    assert not fake.non_loopback_requests, fake.non_loopback_requests


@pytest_asyncio.fixture
async def bot(fake):
    bot = TinyBot(fake)
    async with fake.run(bot, token=FAKE_TOKEN):
        yield bot


pytestmark = pytest.mark.asyncio


async def test_login_connect_ready(fake, bot):
    assert bot.is_ready()
    assert bot.user.id == fake.application_id and bot.user.bot
    assert bot.application_id == fake.application_id
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None and not guild.unavailable
    assert {c.name for c in guild.text_channels} == {"general", "bot-commands", "mod-log"}
    assert {r.name for r in guild.roles} >= {"@everyone", "Moderator"}
    assert guild.me is not None and guild.me.guild_permissions.send_messages
    # IDENTIFY carried our intents and token; login hit the expected routes
    assert len(fake.identifies) == 1
    assert fake.identifies[0]["token"] == FAKE_TOKEN
    assert discord.Intents._from_value(fake.identifies[0]["intents"]).message_content
    assert [c["name"] for c in fake.global_commands] == ["ride", "settings", "report", "feedback", "Quote"]
    assert all(c["id"] for c in fake.global_commands)
    assert [c["name"] for c in fake.guild_commands[fake.guild_id]] == ["config"]
    assert fake.requests_matching("GET", "/users/@me") and fake.requests_matching(
        "GET", "/oauth2/applications/@me"
    )
    fake.assert_no_unexpected_requests()


async def test_message_gets_reply(fake, bot):
    ex = await fake.send_message("ping", author="alice", channel="general")
    reply = await ex.reply()
    assert reply["content"] == "pong"
    assert reply["message_reference"]["message_id"] == str(ex.id)
    assert reply["author"]["id"] == str(fake.application_id)

    # mention the bot in another channel, prefix command, and a DM
    ex = await fake.send_message(f"<@{fake.application_id}> hello", author="bob", channel="bot-commands")
    assert (await ex.reply())["channel_id"] == str(fake.channel_id("bot-commands"))
    ex = await fake.send_message("!echo hi there", author="bob")
    assert (await ex.reply())["content"] == "hi there"
    ex = await fake.send_message("ping", author="alice", dm=True)
    dm_reply = await ex.reply()
    assert dm_reply["content"] == "pong" and "guild_id" not in dm_reply
    await fake.assert_no_bot_message(within=0.1)  # the bot ignores the echo of its own replies
    fake.assert_no_unexpected_requests()


async def test_slash_command_gets_callback_with_content(fake, bot):
    h = await fake.slash("ride", {"destination": "Airport"}, user="alice")
    assert h.payload["data"]["id"] == next(c["id"] for c in fake.global_commands if c["name"] == "ride")
    cb = await h.response()
    assert cb["type"] == 4
    assert cb["data"]["content"] == "Riding to Airport"
    custom_ids = [c["custom_id"] for row in cb["data"]["components"] for c in row["components"]]
    assert custom_ids == ["confirm"]
    msg = await h.message()
    assert msg["content"] == "Riding to Airport" and msg in fake.bot_messages
    fake.assert_no_unexpected_requests()


async def test_member_permissions_drive_app_command_checks(fake, bot):
    denied = await fake.slash("settings", user="alice")
    assert (await denied.response())["data"]["content"] == "no permission"
    allowed = await fake.slash("settings", user="mod")  # Moderator role has Manage Guild
    cb = await allowed.response()
    assert cb["data"]["content"] == "settings ok" and allowed.ephemeral
    overridden = await fake.slash(
        "settings", user="alice", permissions=discord.Permissions(manage_guild=True).value
    )
    assert (await overridden.response())["data"]["content"] == "settings ok"


async def test_autocomplete_gets_choices(fake, bot):
    h = await fake.autocomplete("ride", {"destination": "A"}, focused="destination")
    choices = await h.choices()
    assert [c["name"] for c in choices] == ["Airport", "Aquarium"]
    assert (await h.response())["type"] == 8


async def test_component_click_gets_callback(fake, bot):
    h = await fake.slash("ride", {"destination": "Beach"})
    ride_msg = await h.message()
    click = await fake.click("confirm", user="bob")  # finds the message carrying the button
    cb = await click.response()
    assert cb["type"] == 7
    assert cb["data"]["content"] == "Confirmed ride to Beach by bob"
    assert ride_msg["content"] == "Confirmed ride to Beach by bob"  # stored message updated in place
    assert ride_msg["components"] == []


async def test_deferred_response_edit_and_followup(fake, bot):
    h = await fake.slash("report")
    assert (await h.response())["type"] == 5
    assert (await h.message())["content"] == "report ready"
    followup = await h.followup()
    assert followup["content"] == "details" and followup["flags"] & 64


async def test_modal_submit(fake, bot):
    h = await fake.slash("feedback", user="alice")
    modal = await h.modal_shown()
    assert modal["title"] == "Feedback"
    submit = await h.submit_modal({"feedback_text": "great rides"})
    assert (await submit.response())["data"]["content"] == "thanks alice: great rides"


async def test_message_context_menu(fake, bot):
    ex = await fake.send_message("the bus is late", author="bob")
    h = await fake.message_command("Quote", ex.payload, user="alice")
    assert h.payload["data"]["type"] == 3 and h.payload["data"]["target_id"] == str(ex.id)
    assert (await h.response())["data"]["content"] == "> the bus is late (by bob)"


@pytest.mark.parametrize("abrupt", [False, True], ids=["close-4000", "tcp-abort"])
async def test_drop_then_resume_still_replies(fake, bot, abrupt):
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)

    await fake.drop_connection(code=4000, abrupt=abrupt)
    # dispatched while the bot is offline: buffered and replayed on RESUME
    ex = await fake.send_message("ping", author="alice")
    payload = await fake.wait_for_resume()
    assert payload["session_id"] == bot.ws.session_id
    assert (await ex.reply())["content"] == "pong"
    await asyncio.wait_for(resumed.wait(), 2)
    assert len(fake.identifies) == 1 and [r["accepted"] for r in fake.resumes] == [True]

    ex = await fake.send_message("ping", author="bob")
    assert (await ex.reply())["content"] == "pong"
    fake.assert_no_unexpected_requests()


async def test_guild_subcommand_with_resolved_options(fake, bot):
    h = await fake.slash(
        "config set", {"who": "bob", "role": "Moderator", "where": "mod-log", "limit": 3}, user="mod"
    )
    data = h.payload["data"]
    assert data["guild_id"] == str(fake.guild_id)  # guild command: discord.py looks it up by guild
    assert data["options"][0]["type"] == 1 and data["options"][0]["name"] == "set"
    assert set(data["resolved"]) == {"users", "members", "roles", "channels"}
    assert (await h.response())["data"]["content"] == "bob|Moderator|mod-log|3"


async def test_reconnect_opcode_and_invalid_session(fake, bot):
    await fake.send_reconnect()  # op 7 -> client RESUMEs
    await fake.wait_for_resume()
    assert (await (await fake.send_message("ping")).reply())["content"] == "pong"

    await fake.invalidate_session(resumable=False)  # op 9 -> client IDENTIFYs again
    await fake.wait_for(lambda: len(fake.identifies) == 2)
    await fake.wait_until_connected()
    assert (await (await fake.send_message("ping")).reply())["content"] == "pong"


async def test_rate_limited_send_is_retried_once(fake, bot):
    fake.rate_limit_next("POST", "/channels/{id}/messages", retry_after=0.05)
    started = time.monotonic()
    ex = await fake.send_message("ping")
    reply = await ex.reply()
    assert reply["content"] == "pong"
    await fake.assert_no_bot_message(within=0.2)
    posts = fake.requests_matching("POST", "/channels/{id}/messages")
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].time - posts[0].time >= 0.04
    assert len(fake.bot_messages) == 1
    assert time.monotonic() - started < 2


async def test_unknown_route_is_recorded(fake, bot):
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/this/route/does/not/exist"))
    assert [(r.method, r.path) for r in fake.unexpected_requests] == [("GET", "/this/route/does/not/exist")]
    with pytest.raises(AssertionError):
        fake.assert_no_unexpected_requests()
    fake.unexpected_requests.clear()


async def test_message_content_intent_is_enforced(fake):
    bot = TinyBot(fake, message_content=False)
    async with fake.run(bot):
        await fake.send_message("!echo secret", author="alice")
        ex = await fake.send_message(f"<@{fake.application_id}> visible", author="alice")
        await ex.reply()  # mentioned -> content visible -> "pong"
        assert bot.seen_contents == ["", f"<@{fake.application_id}> visible"]
    with pytest.raises(FakeDiscordTimeout):
        await fake.next_bot_message(timeout=0.05, channel="mod-log")


async def test_guilds_have_their_own_owner_roles_and_members_and_the_application_its_owner():
    async with FakeDiscord() as fake:
        other = fake.add_guild("Other", owner=fake.add_user("boss"))
        fake.add_role("Helpers", discord.Permissions(manage_guild=True), guild=other)
        fake.set_roles("alice", ["Helpers"], guild=other)
        fake.application_owner = fake.add_user("dev")
        bot = TinyBot(fake)
        async with fake.run(bot):
            guild = bot.get_guild(other)
            assert guild is not None and guild.owner_id == fake.user_id("boss")
            assert fake.member_permissions("boss", other) == fake.member_permissions("owner")  # all of them
            assert not fake.member_permissions("owner", other) & discord.Permissions(manage_guild=True).value
            alice = await guild.fetch_member(fake.user_id("alice"))
            assert [r.name for r in alice.roles if r.name != "@everyone"] == ["Helpers"]
            assert alice.guild_permissions.manage_guild
            main = await bot.get_guild(fake.guild_id).fetch_member(fake.user_id("alice"))
            assert not main.guild_permissions.manage_guild  # her roles there are the main guild's
            assert await bot.is_owner(await bot.fetch_user(fake.user_id("dev")))
            assert not await bot.is_owner(await bot.fetch_user(fake.user_id("owner")))
        fake.application_team = [fake.users["alice"], fake.users["bob"]]
        team_bot = TinyBot(fake)
        async with fake.run(team_bot):
            assert await team_bot.is_owner(await team_bot.fetch_user(fake.user_id("bob")))
            assert not await team_bot.is_owner(await team_bot.fetch_user(fake.user_id("dev")))
        fake.assert_no_unexpected_requests()
