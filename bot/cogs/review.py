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

from bot.cogs.changes import check_global, check_server
from bot.cogs.checks import (
    guild_of,
    is_maintainer,
    is_moderator,
    moderator_only,
    moderator_or_maintainer_only,
)
from bot.cogs.lookup import LicenseTransformer, ModelTransformer, TopicTransformer
from bot.cogs.modlog import post_to_log_channel
from bot.errors import NotModerator
from bot.knowledge.edits import EditRefused, check_text
from bot.rendering.common import topic_name
from bot.rendering.embeds import answer_embed, clip, safe
from bot.rendering.review import (
    PAGE_SIZE,
    entry_embed,
    log_batch_text,
    pages_for,
    queue_page_embed,
    quoted,
    unknown_models_embed,
)
from bot.storage import Scope

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
QueueScope = Literal["this server", "maintainers"]
NOTE_MAX = 300


async def scope_of(interaction: discord.Interaction[RiderBot], which: str | None) -> Scope:
    """The storage scope a /review command works in: this server's queue (its moderators), or the
    maintainers' queue, DMs and the entries servers forwarded (riderbot's maintainers only)."""
    if which == "maintainers":
        await is_maintainer(interaction)
        return "maintainers"
    return guild_of(interaction)


def private(entry: dict, scope: Scope) -> bool:
    """Whether an entry shown in ``scope`` is another server's or a DM (its askers stay hidden)."""
    return not isinstance(scope, int) or entry.get("guild_id") != scope


# -- the list and its Prev/Next buttons ------------------------------------------------------------


async def queue_page(
    bot: RiderBot, scope: Scope, status: str, sort: str, page: int, *, group: bool = False
) -> dict:
    """Message arguments for one page of a queue (a server's, or the maintainers'): the embed and
    Prev/Next buttons. ``group``: the unknown models asked about instead of the entries."""
    wanted = None if status == "all" else status
    view_code = ("m" if scope == "maintainers" else "") + ("g" if group else "")
    if group:
        groups, total = await bot.storage.unknown_models(
            wanted, scope=scope, limit=PAGE_SIZE, offset=max(0, page) * PAGE_SIZE
        )
        page = max(0, min(page, pages_for(total) - 1))
        if page * PAGE_SIZE >= total > 0:
            groups, total = await bot.storage.unknown_models(
                wanted, scope=scope, limit=PAGE_SIZE, offset=page * PAGE_SIZE
            )
        embed = unknown_models_embed(groups, page=page, total=total, status=wanted)
    else:
        total = await bot.storage.count_queue(wanted, scope=scope)
        page = max(0, min(page, pages_for(total) - 1))
        rows = await bot.storage.list_queue(
            wanted, sort=sort, limit=PAGE_SIZE, offset=page * PAGE_SIZE, scope=scope
        )
        embed = queue_page_embed(rows, page=page, total=total, status=wanted, sort=sort)
        if scope == "maintainers":
            embed.title = f"Maintainers' queue: {wanted or 'all'} (DMs and forwarded entries)"
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton(status, sort, page - 1, "prev", view_code, disabled=page == 0))
    view.add_item(
        PageButton(status, sort, page + 1, "next", view_code, disabled=page + 1 >= pages_for(total))
    )
    return {"embed": embed, "view": view}


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rb:review:(?P<status>open|resolved|dismissed|all):(?P<sort>count|newest):"
    r"(?P<page>-?\d+):(?P<way>prev|next)(?::(?P<view>m?g?))?",
):
    """Prev/Next under ``/review list``; the page lives in the custom_id (works after a restart),
    with ``:m`` for the maintainers' queue and ``:g`` for the list grouped by unknown model. Only
    moderators (and for the maintainers' queue, maintainers) can turn pages, checked on every click."""

    def __init__(
        self, status: str, sort: str, page: int, way: str, view: str = "", *, disabled: bool = False
    ) -> None:
        suffix = f":{view}" if view else ""
        super().__init__(
            discord.ui.Button(
                label="Prev" if way == "prev" else "Next",
                emoji="\N{BLACK LEFT-POINTING TRIANGLE}"
                if way == "prev"
                else "\N{BLACK RIGHT-POINTING TRIANGLE}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"rb:review:{status}:{sort}:{page}:{way}{suffix}",
                disabled=disabled,
            )
        )
        self.status, self.sort, self.page, self.code = status, sort, page, view

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PageButton:
        return cls(match["status"], match["sort"], int(match["page"]), match["way"], match["view"] or "")

    async def callback(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        try:
            if "m" in self.code:
                await is_maintainer(interaction)
            else:
                await is_moderator(interaction)
            scope = await scope_of(interaction, "maintainers" if "m" in self.code else None)
        except (NotModerator, app_commands.NoPrivateMessage) as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        async with bot.busy():
            await interaction.response.edit_message(
                **await queue_page(bot, scope, self.status, self.sort, self.page, group="g" in self.code)
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
                # each server's go to its own channel; with shards, each process posts its own servers'
                entries = await storage.unannounced(scope="all", shards=self.bot.served_shards())
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
    @app_commands.describe(
        status="Which entries (default: open)",
        sort="Order (default: most asked)",
        scope="This server's queue, or the maintainers' (DMs and forwarded entries)",
        group="List the unknown models asked about, most asked first",
    )
    @app_commands.choices(sort=SORTS)
    @moderator_or_maintainer_only()
    async def list_(
        self,
        interaction: discord.Interaction[RiderBot],
        status: Status = "open",
        sort: str = "count",
        scope: QueueScope | None = None,
        group: bool = False,
    ) -> None:
        where = await scope_of(interaction, scope)
        async with self.bot.busy():
            await interaction.response.send_message(
                **await queue_page(self.bot, where, status, sort, 0, group=group), ephemeral=True
            )

    @app_commands.command(name="show", description="Everything known about one queue entry")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(entry_id="The entry's number, from /review list", scope="Which queue it is in")
    @moderator_or_maintainer_only()
    async def show(
        self,
        interaction: discord.Interaction[RiderBot],
        entry_id: app_commands.Range[int, 1],
        scope: QueueScope | None = None,
    ) -> None:
        where = await scope_of(interaction, scope)
        entry = await self.bot.storage.get_entry(entry_id, scope=where)
        if entry is None:
            await interaction.response.send_message(NO_ENTRY.format(id=entry_id), ephemeral=True)
            return
        await interaction.response.send_message(
            embed=entry_embed(entry, private=private(entry, where)), ephemeral=True
        )

    @app_commands.command(name="resolve", description="Teach riderbot the answer to a queued question")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(
        entry_id="The entry's number, from /review list",
        topic="What the question is about",
        model="The model it is about",
        license="Or: the licence it is about (instead of a model)",
        force="Decide again an entry that is already resolved or dismissed",
        scope="Which queue it is in (the maintainers' queue teaches every server)",
        everyone="Teach the wording to every server, not only this one (maintainers)",
    )
    @moderator_or_maintainer_only()
    async def resolve(
        self,
        interaction: discord.Interaction[RiderBot],
        entry_id: app_commands.Range[int, 1],
        topic: app_commands.Transform[str, TopicTransformer],
        model: app_commands.Transform[str, ModelTransformer] | None = None,
        license: app_commands.Transform[str, LicenseTransformer] | None = None,
        force: bool = False,
        scope: QueueScope | None = None,
        everyone: bool = False,
    ) -> None:
        bot = self.bot
        if (model is None) == (license is None):
            await interaction.response.send_message(
                "Give either a model or a licence (one of them).", ephemeral=True
            )
            return
        where = await scope_of(interaction, scope)
        for_all = everyone or where == "maintainers"
        if for_all:
            await is_maintainer(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the eval gate takes a moment
        async with bot.busy(), bot.knowledge_lock:  # not while a reload swaps the matcher
            current = await bot.storage.get_entry(entry_id, scope=where)
            if current is None:
                await interaction.edit_original_response(content=NO_ENTRY.format(id=entry_id))
                return
            if current["status"] != "open" and not force:
                await interaction.edit_original_response(
                    content=f"#{entry_id} is already {current['status']}; set `force: True` to decide it again."
                )
                return
            taught = (current["question"], model, license, topic)
            try:
                if for_all:
                    await check_global(bot, bot.engine.kb, taught)
                else:
                    await check_server(bot, current["guild_id"], learned=taught)
            except EditRefused as exc:
                await interaction.edit_original_response(
                    content=clip(f"Refused, nothing changed: {safe(str(exc))}", 2000)
                )
                return
            entry = await bot.storage.resolve(
                entry_id, model, license, topic, interaction.user.id, scope=where, everyone=for_all
            )
            if entry is None:
                await interaction.edit_original_response(content=NO_ENTRY.format(id=entry_id))
                return
            if for_all:
                bot.engine.matcher.learn(entry["question"], model, license, topic)
                scope_now = None
            else:
                await bot.scopes.reload(entry["guild_id"])
                scope_now = bot.scope_for(entry["guild_id"])
            kb = bot.engine.kb
            answer = bot.engine.ask(entry["question"], None, scope_now)
        subject = clip(
            kb.models[model].name
            if model in kb.models
            else kb.licenses[license].name
            if license in kb.licenses
            else str(model or license),
            100,
        )
        reach = "every server" if for_all else "this server"
        text = (
            f"Resolved #{entry_id} {quoted(entry['question'])} as **{subject}** · {topic_name(kb, topic)}. "
            f"From now on I answer it, and close variants, like this in {reach}:"
        )
        await interaction.edit_original_response(content=text, embed=answer_embed(kb, answer))
        await post_to_log_channel(
            bot,
            interaction.guild_id,
            f"\N{WHITE HEAVY CHECK MARK} <@{interaction.user.id}> resolved #{entry_id} "
            + (quoted(entry["question"]) if not private(entry, where) else "(from the maintainers' queue)")
            + f" as `{model or license}/{topic}` for {reach}",
        )

    @app_commands.command(name="dismiss", description="Drop a queued question")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(
        entry_id="The entry's number, from /review list",
        reason="Why it needs no answer",
        scope="Which queue it is in",
    )
    @moderator_or_maintainer_only()
    async def dismiss(
        self,
        interaction: discord.Interaction[RiderBot],
        entry_id: app_commands.Range[int, 1],
        reason: Literal["off-topic", "spam", "duplicate", "other"],
        scope: QueueScope | None = None,
    ) -> None:
        storage = self.bot.storage
        where = await scope_of(interaction, scope)
        async with self.bot.busy():
            current = await storage.get_entry(entry_id, scope=where)
            if current is None:
                await interaction.response.send_message(NO_ENTRY.format(id=entry_id), ephemeral=True)
                return
            if current["status"] != "open":
                await interaction.response.send_message(
                    f"#{entry_id} is already {current['status']}.", ephemeral=True
                )
                return
            await storage.dismiss(entry_id, reason, interaction.user.id, scope=where)
        await interaction.response.send_message(
            f"Dismissed #{entry_id} {quoted(current['question'])} ({reason}).", ephemeral=True
        )
        await post_to_log_channel(
            self.bot,
            interaction.guild_id,
            f"\N{WASTEBASKET} <@{interaction.user.id}> dismissed #{entry_id} "
            + (
                quoted(current["question"])
                if not private(current, where)
                else "(from the maintainers' queue)"
            )
            + f" ({reason})",
        )

    @app_commands.command(name="forward", description="Send an entry to riderbot's maintainers, with a note")
    @app_commands.rename(entry_id="id")
    @app_commands.describe(
        entry_id="The entry's number, from /review list",
        note="What the maintainers should know (e.g. which model it is, a link)",
    )
    @moderator_only()
    async def forward(
        self,
        interaction: discord.Interaction[RiderBot],
        entry_id: app_commands.Range[int, 1],
        note: app_commands.Range[str, 0, NOTE_MAX] | None = None,
    ) -> None:
        bot = self.bot
        guild_id = guild_of(interaction)
        text = " ".join((note or "").split()) or None
        if text is not None:
            try:
                check_text(text, "note")
            except EditRefused as exc:
                await interaction.response.send_message(f"Not forwarded: {safe(str(exc))}", ephemeral=True)
                return
        async with bot.busy():
            entry = await bot.storage.forward(entry_id, text, interaction.user.id, scope=guild_id)
        if entry is None:
            await interaction.response.send_message(NO_ENTRY.format(id=entry_id), ephemeral=True)
            return
        await interaction.response.send_message(
            f"Forwarded #{entry_id} {quoted(entry['question'])} to riderbot's maintainers"
            + (f" with your note: {safe(clip(text, 200))}" if text else "")
            + ". It stays in this server's queue too.",
            ephemeral=True,
        )
        await post_to_log_channel(
            bot,
            guild_id,
            f"\N{OUTBOX TRAY} <@{interaction.user.id}> forwarded #{entry_id} {quoted(entry['question'])} "
            "to the maintainers",
        )
        maintainers = bot.settings.maintainer_guild
        if maintainers is not None and maintainers != guild_id:
            # the question and the note only: nothing about who asked it, or who forwarded it
            await post_to_log_channel(
                bot,
                maintainers,
                f"\N{INBOX TRAY} a server forwarded #{entry_id} {quoted(entry['question'])}"
                + (f" · note: {safe(clip(text, 200))}" if text else "")
                + " (`/review show scope:maintainers`)",
            )

    @app_commands.command(name="export", description="The review queue as a CSV file")
    @app_commands.describe(status="Which entries (default: all)", scope="Which queue")
    @moderator_or_maintainer_only()
    async def export(
        self,
        interaction: discord.Interaction[RiderBot],
        status: Status = "all",
        scope: QueueScope | None = None,
    ) -> None:
        where = await scope_of(interaction, scope)
        await interaction.response.defer(ephemeral=True, thinking=True)  # a big queue takes a moment
        limit = int(interaction.filesize_limit * UPLOAD_MARGIN)
        wanted, name = (
            None if status == "all" else status,
            f"riderbot-review-{status}" + ("-maintainers" if where == "maintainers" else ""),
        )
        # a plain CSV when it fits one upload, else gzip-compressed parts (each a complete CSV)
        files = await self.bot.storage.export_files(
            wanted, scope=where, compress=False, max_bytes=limit, basename=name
        )
        if len(files) > 1:
            files = await self.bot.storage.export_files(wanted, scope=where, max_bytes=limit, basename=name)
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
