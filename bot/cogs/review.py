"""The review queue for moderators: ``/review list | show | resolve | dismiss | export``, and the
server's log channel (``/config logchannel``).

Resolving an entry links its question to an answer: Storage keeps the wording as a taught phrasing
and the live matcher learns it at once, so the same question (and close variants) is answered from
then on, without a restart. Nobody is pinged and the asker's channel gets no message.

The log channel receives new queue entries in batches, at most one post per server per
``RiderBot.log_batch_seconds`` (a minute), and a line for every change moderators make.

Every command is checked in code (``moderator_only``); ``default_permissions`` only hides the group
from other members in Discord's UI. Responses are ephemeral.
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.cogs.checks import guild_of, is_moderator, moderator_only
from bot.cogs.lookup import LicenseTransformer, ModelTransformer, TopicTransformer
from bot.cogs.modlog import post_to_log_channel
from bot.errors import NotModerator
from bot.rendering.common import topic_name
from bot.rendering.embeds import answer_embed, clip
from bot.rendering.review import (
    PAGE_SIZE,
    entry_embed,
    log_batch_text,
    pages_for,
    queue_page_embed,
    quoted,
)

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.review")

Status = Literal["open", "resolved", "dismissed", "all"]
SORTS = [
    app_commands.Choice(name="most asked", value="count"),
    app_commands.Choice(name="newest", value="newest"),
]
DISMISS_REASONS = ("off-topic", "spam", "duplicate", "other")
NO_ENTRY = "There is no queue entry #{id}. `/review list` shows the open ones."


# -- the list and its Prev/Next buttons ------------------------------------------------------------


async def queue_page(bot: RiderBot, guild_id: int, status: str, sort: str, page: int) -> dict:
    """Message arguments for one page of this server's queue: the embed and Prev/Next buttons."""
    wanted = None if status == "all" else status
    total = await bot.storage.count_queue(wanted, scope=guild_id)
    page = max(0, min(page, pages_for(total) - 1))
    rows = await bot.storage.list_queue(
        wanted, sort=sort, limit=PAGE_SIZE, offset=page * PAGE_SIZE, scope=guild_id
    )
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(status, sort, page - 1, "prev", disabled=page == 0))
    view.add_item(PageButton(status, sort, page + 1, "next", disabled=page + 1 >= pages_for(total)))
    return {"embed": queue_page_embed(rows, page=page, total=total, status=wanted, sort=sort), "view": view}


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rb:review:(?P<status>open|resolved|dismissed|all):(?P<sort>count|newest):"
    r"(?P<page>-?\d+):(?P<way>prev|next)",
):
    """Prev/Next under ``/review list``; the page lives in the custom_id (works after a restart).
    Only moderators can turn pages, checked on every click."""

    def __init__(self, status: str, sort: str, page: int, way: str, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Prev" if way == "prev" else "Next",
                emoji="\N{BLACK LEFT-POINTING TRIANGLE}"
                if way == "prev"
                else "\N{BLACK RIGHT-POINTING TRIANGLE}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"rb:review:{status}:{sort}:{page}:{way}",
                disabled=disabled,
            )
        )
        self.status, self.sort, self.page = status, sort, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageButton:
        return cls(match["status"], match["sort"], int(match["page"]), match["way"])

    async def callback(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        try:
            await is_moderator(interaction)
        except (NotModerator, app_commands.NoPrivateMessage) as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        async with bot.busy():
            await interaction.response.edit_message(
                **await queue_page(bot, guild_of(interaction), self.status, self.sort, self.page)
            )


# -- the cog ---------------------------------------------------------------------------------------


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Review(
    commands.GroupCog,
    group_name="review",
    group_description="The queue of questions riderbot could not answer",
):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot
        super().__init__()
        self.announcer = tasks.loop(seconds=bot.log_batch_seconds)(self.announce_new_entries)
        self.announcer.before_loop(self._wait_until_ready)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PageButton)
        self.announcer.start()

    async def cog_unload(self) -> None:
        self.announcer.cancel()
        self.bot.remove_dynamic_items(PageButton)

    async def _wait_until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def announce_new_entries(self) -> None:
        """One post per server with a log channel listing its new entries since the last post.
        Entries with nowhere to go (no log channel, DMs, the command line) are marked too: they
        stay in ``/review list``, and a log channel set later is not flooded with old ones."""
        storage = self.bot.storage
        try:
            async with self.bot.busy():
                entries = await storage.unannounced(scope="all")  # each server's go to its own channel
                if not entries:
                    return
                channels = await storage.log_channels()
                batches: dict[int | None, list[dict]] = {}
                for entry in entries:
                    batches.setdefault(entry["guild_id"], []).append(entry)
                done: list[int] = []
                for guild_id, batch in batches.items():
                    channel_id = channels.get(guild_id) if guild_id is not None else None
                    if channel_id is not None:
                        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
                        try:
                            await channel.send(log_batch_text(batch))
                        except (discord.Forbidden, discord.NotFound) as exc:  # won't get better by retrying
                            log.warning(
                                "cannot post in the log channel %s of server %s: %s",
                                channel_id,
                                guild_id,
                                exc,
                            )
                        except discord.HTTPException as exc:
                            log.warning(
                                "could not post in the log channel %s (will retry): %s", channel_id, exc
                            )
                            continue
                    done.extend(entry["id"] for entry in batch)
                await storage.mark_announced(done, scope="all")
        except Exception:  # an unhandled error would stop the loop for good
            log.exception("could not announce new review-queue entries")

    # -- commands ----------------------------------------------------------------------------------
    @app_commands.command(name="list", description="Questions waiting for review, 10 per page")
    @app_commands.describe(status="Which entries (default: open)", sort="Order (default: most asked)")
    @app_commands.choices(sort=SORTS)
    @moderator_only()
    async def list_(
        self, interaction: discord.Interaction[RiderBot], status: Status = "open", sort: str = "count"
    ) -> None:
        async with self.bot.busy():
            await interaction.response.send_message(
                **await queue_page(self.bot, guild_of(interaction), status, sort, 0), ephemeral=True
            )

    @app_commands.command(name="show", description="Everything known about one queue entry")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(entry_id="The entry's number, from /review list")
    @moderator_only()
    async def show(
        self, interaction: discord.Interaction[RiderBot], entry_id: app_commands.Range[int, 1]
    ) -> None:
        entry = await self.bot.storage.get_entry(entry_id, scope=guild_of(interaction))
        if entry is None:
            await interaction.response.send_message(NO_ENTRY.format(id=entry_id), ephemeral=True)
            return
        await interaction.response.send_message(embed=entry_embed(entry), ephemeral=True)

    @app_commands.command(name="resolve", description="Teach riderbot the answer to a queued question")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(
        entry_id="The entry's number, from /review list",
        topic="What the question is about",
        model="The model it is about",
        license="Or: the licence it is about (instead of a model)",
        force="Decide again an entry that is already resolved or dismissed",
    )
    @moderator_only()
    async def resolve(
        self,
        interaction: discord.Interaction[RiderBot],
        entry_id: app_commands.Range[int, 1],
        topic: app_commands.Transform[str, TopicTransformer],
        model: app_commands.Transform[str, ModelTransformer] | None = None,
        license: app_commands.Transform[str, LicenseTransformer] | None = None,
        force: bool = False,
    ) -> None:
        bot = self.bot
        if (model is None) == (license is None):
            await interaction.response.send_message(
                "Give either a model or a licence (one of them).", ephemeral=True
            )
            return
        async with bot.busy(), bot.knowledge_lock:  # not while a reload swaps the matcher
            current = await bot.storage.get_entry(entry_id, scope=guild_of(interaction))
            if current is None:
                await interaction.response.send_message(NO_ENTRY.format(id=entry_id), ephemeral=True)
                return
            if current["status"] != "open" and not force:
                await interaction.response.send_message(
                    f"#{entry_id} is already {current['status']}; set `force: True` to decide it again.",
                    ephemeral=True,
                )
                return
            entry = await bot.storage.resolve(
                entry_id, model, license, topic, interaction.user.id, scope=guild_of(interaction)
            )
            if entry is None:
                await interaction.response.send_message(NO_ENTRY.format(id=entry_id), ephemeral=True)
                return
            bot.engine.matcher.learn(entry["question"], model, license, topic)
            kb = bot.engine.kb
            answer = bot.engine.ask(entry["question"])
        subject = clip(
            kb.models[model].name
            if model in kb.models
            else kb.licenses[license].name
            if license in kb.licenses
            else str(model or license),
            100,
        )
        text = (
            f"Resolved #{entry_id} {quoted(entry['question'])} as **{subject}** · {topic_name(kb, topic)}. "
            "From now on I answer it, and close variants, like this:"
        )
        await interaction.response.send_message(text, embed=answer_embed(kb, answer), ephemeral=True)
        await post_to_log_channel(
            bot,
            interaction.guild_id,
            f"\N{WHITE HEAVY CHECK MARK} <@{interaction.user.id}> resolved #{entry_id} "
            f"{quoted(entry['question'])} as `{model or license}/{topic}`",
        )

    @app_commands.command(name="dismiss", description="Drop a queued question")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(entry_id="The entry's number, from /review list", reason="Why it needs no answer")
    @moderator_only()
    async def dismiss(
        self,
        interaction: discord.Interaction[RiderBot],
        entry_id: app_commands.Range[int, 1],
        reason: Literal["off-topic", "spam", "duplicate", "other"],
    ) -> None:
        storage = self.bot.storage
        async with self.bot.busy():
            current = await storage.get_entry(entry_id, scope=guild_of(interaction))
            if current is None:
                await interaction.response.send_message(NO_ENTRY.format(id=entry_id), ephemeral=True)
                return
            if current["status"] != "open":
                await interaction.response.send_message(
                    f"#{entry_id} is already {current['status']}.", ephemeral=True
                )
                return
            await storage.dismiss(entry_id, reason, interaction.user.id, scope=guild_of(interaction))
        await interaction.response.send_message(
            f"Dismissed #{entry_id} {quoted(current['question'])} ({reason}).", ephemeral=True
        )
        await post_to_log_channel(
            self.bot,
            interaction.guild_id,
            f"\N{WASTEBASKET} <@{interaction.user.id}> dismissed #{entry_id} "
            f"{quoted(current['question'])} ({reason})",
        )

    @app_commands.command(name="export", description="The review queue as a CSV file")
    @app_commands.describe(status="Which entries (default: all)")
    @moderator_only()
    async def export(self, interaction: discord.Interaction[RiderBot], status: Status = "all") -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # a big queue takes a moment
        limit = int(interaction.filesize_limit * UPLOAD_MARGIN)
        wanted, scope, name = (
            None if status == "all" else status,
            guild_of(interaction),
            f"riderbot-review-{status}",
        )
        # a plain CSV when it fits one upload, else gzip-compressed parts (each a complete CSV)
        files = await self.bot.storage.export_files(
            wanted, scope=scope, compress=False, max_bytes=limit, basename=name
        )
        if len(files) > 1:
            files = await self.bot.storage.export_files(wanted, scope=scope, max_bytes=limit, basename=name)
        rows = sum(f.rows for f in files)
        sent = files[:MAX_EXPORT_FILES]
        how = (
            ""
            if len(sent) == 1 and not sent[0].filename.endswith(".gz")
            else f", gzip-compressed{f' in {len(sent)} files (each a complete CSV)' if len(sent) > 1 else ''}"
        )
        text = f"The review queue ({status}): {rows:,} row(s){how}."
        if len(files) > len(sent):
            text += (
                f" Only the first {len(sent)} of {len(files)} files are attached ({sum(f.rows for f in sent):,} "
                "rows): `riderbot review export` on the bot's server writes all of it."
            )
        for n, part in enumerate(sent):  # one file per message: each fits the upload limit on its own
            await interaction.followup.send(
                text if n == 0 else f"Part {n + 1} of {len(sent)}.",
                ephemeral=True,
                file=discord.File(io.BytesIO(part.data), filename=part.filename),
            )


UPLOAD_MARGIN = 0.95  # of Discord's per-message upload limit (the interaction says which: 10 MiB by default)
MAX_EXPORT_FILES = 10  # more parts than this are not posted; the command line has everything


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Review(bot))
