"""Knowledge edits for moderators: ``/kb alias``, ``/kb edit`` (a modal pre-filled with the current
answer), ``/kb reload`` and ``/kb history``.

Every change is validated before anything is written (bot.knowledge.edits loads the whole knowledge
base with the change applied): an invalid one is refused with the validation message and changes
nothing. A valid one is written to ``knowledge/edits/<family>.yaml`` (the hand-written family files
are never touched), swapped in live with ``RiderBot.install_knowledge`` (which re-teaches the
phrasings moderators resolved), written to the audit table and announced in the log channel.
One change or reload at a time (``RiderBot.knowledge_lock``); validation runs in a thread so the
bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.checks import guild_of, is_moderator, moderator_only
from bot.cogs.lookup import ModelTransformer, TopicTransformer
from bot.cogs.modlog import post_to_log_channel
from bot.errors import NotModerator
from bot.knowledge import KnowledgeBase, KnowledgeError, default_knowledge_dir, load_knowledge
from bot.knowledge.edits import EditRefused, add_alias, edit_answer
from bot.rendering.common import topic_name
from bot.rendering.embeds import clip, safe, short_name
from bot.rendering.review import history_embed, problems_text

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.kb")

ANSWER_MAX = 1000  # what edits.edit_answer accepts
MODAL_TITLE_MAX = 45
MODAL_TIMEOUT = 15 * 60.0
HISTORY_ROWS = 15


def summary(kb: KnowledgeBase) -> str:
    return f"{len(kb.models)} models, {len(kb.licenses)} licences, as of {kb.knowledge_date}"


class AnswerModal(discord.ui.Modal):
    """The answer text of one model and topic, pre-filled with what riderbot says now."""

    def __init__(self, cog: Kb, model_id: str, topic: str, current: str) -> None:
        kb = cog.bot.engine.kb
        title = f"{short_name(kb.models[model_id].name)}: {topic_name(kb, topic)}"
        super().__init__(title=clip(title, MODAL_TITLE_MAX), timeout=MODAL_TIMEOUT)
        self.cog, self.model_id, self.topic = cog, model_id, topic
        self.text: discord.ui.TextInput = discord.ui.TextInput(
            label="Answer (one or two sentences)",
            style=discord.TextStyle.paragraph,
            default=clip(current, ANSWER_MAX) or None,
            max_length=ANSWER_MAX,
            required=True,
            custom_id="rb:kb:answer",
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        try:
            await is_moderator(interaction)  # still a moderator when submitting
        except NotModerator as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await self.cog.save_answer(interaction, self.model_id, self.topic, self.text.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        log.error("error in the /kb edit modal", exc_info=error)
        text = "Something went wrong on my side; it has been logged. Nothing was changed."
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Kb(commands.GroupCog, group_name="kb", group_description="Edit riderbot's knowledge (moderators)"):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def root(self) -> Path:
        return self.bot.engine.knowledge_dir or default_knowledge_dir()

    async def change(
        self,
        interaction: discord.Interaction[RiderBot],
        edit: Callable[[Path, KnowledgeBase], KnowledgeBase],
        *,
        action: str,
        model: str,
        target: str,
        before: str | None,
        after: str,
        done: str,
    ) -> None:
        """Validate and write ``edit`` (in a thread), swap the result in live, audit it and log it.
        The interaction is deferred first: waiting for another moderator's change can take a moment."""
        bot = self.bot
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with bot.busy(), bot.knowledge_lock:
            try:
                new_kb = await asyncio.to_thread(edit, self.root, bot.engine.kb)
            except EditRefused as exc:
                await interaction.edit_original_response(
                    content=f"Refused, nothing changed: {safe(str(exc))}"
                )
                return
            await bot.install_knowledge(new_kb)
            await bot.storage.audit(
                interaction.user.id, action, model, target, before, after, guild_id=interaction.guild_id
            )
        family = new_kb.models[model].family
        await interaction.edit_original_response(
            content=f"{done} (saved in `knowledge/edits/{family}.yaml`)."
        )
        await post_to_log_channel(bot, interaction.guild_id, f"\N{MEMO} <@{interaction.user.id}> {done}")

    # -- commands ----------------------------------------------------------------------------------
    @app_commands.command(name="alias", description="Teach riderbot another name for a model")
    @app_commands.describe(model="The model", alias="The new name, e.g. L2-chat")
    @moderator_only()
    async def alias(
        self,
        interaction: discord.Interaction[RiderBot],
        model: app_commands.Transform[str, ModelTransformer],
        alias: app_commands.Range[str, 1, 100],
    ) -> None:
        kb = self.bot.engine.kb
        before = ", ".join(kb.models[model].aliases)
        shown = safe(" ".join(alias.split()))
        await self.change(
            interaction,
            lambda root, kb: add_alias(root, kb, model, alias),
            action="alias",
            model=model,
            target=f"model {model}",
            before=before,
            after=" ".join(alias.split()),
            done=f'added the alias "{shown}" to **{kb.models[model].name}**',
        )

    @app_commands.command(name="edit", description="Rewrite the answer for a model and topic")
    @app_commands.describe(model="The model", topic="The topic whose answer you want to change")
    @moderator_only()
    async def edit(
        self,
        interaction: discord.Interaction[RiderBot],
        model: app_commands.Transform[str, ModelTransformer],
        topic: app_commands.Transform[str, TopicTransformer],
    ) -> None:
        rider = self.bot.engine.kb.models[model].riders.get(topic)
        await interaction.response.send_modal(AnswerModal(self, model, topic, rider.answer if rider else ""))

    async def save_answer(
        self, interaction: discord.Interaction[RiderBot], model: str, topic: str, text: str
    ) -> None:
        kb = self.bot.engine.kb
        if model not in kb.models:
            await interaction.response.send_message(
                "I no longer know that model; nothing was changed.", ephemeral=True
            )
            return
        rider = kb.models[model].riders.get(topic)
        await self.change(
            interaction,
            lambda root, kb: edit_answer(root, kb, model, topic, text),
            action="edit",
            model=model,
            target=f"{model} {topic}",
            before=rider.answer if rider else None,
            after=" ".join(text.split()),
            done=f"changed the answer for **{kb.models[model].name}**, {topic_name(kb, topic).lower()}",
        )

    @app_commands.command(name="reload", description="Reload the knowledge files from disk")
    @moderator_only()
    async def reload(self, interaction: discord.Interaction[RiderBot]) -> None:
        bot = self.bot
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with bot.busy(), bot.knowledge_lock:
            old = bot.engine.kb
            try:  # Engine.reload, in a thread; install_knowledge swaps it in and re-teaches
                kb = await asyncio.to_thread(load_knowledge, bot.engine.knowledge_dir)
            except KnowledgeError as exc:
                await interaction.edit_original_response(
                    content=f"The knowledge files have {len(exc.problems)} problem(s), so I kept the knowledge I "
                    f"had ({summary(old)}):\n{problems_text(exc.problems)}"
                )
                return
            await bot.install_knowledge(kb)
            await bot.storage.audit(
                interaction.user.id,
                "reload",
                None,
                "knowledge",
                summary(old),
                summary(kb),
                guild_id=interaction.guild_id,
            )
        await interaction.edit_original_response(content=f"Reloaded the knowledge: {summary(kb)}.")
        await post_to_log_channel(
            bot,
            interaction.guild_id,
            f"\N{ANTICLOCKWISE DOWNWARDS AND UPWARDS OPEN CIRCLE ARROWS} <@{interaction.user.id}> "
            f"reloaded the knowledge: {summary(kb)}",
        )

    @app_commands.command(name="history", description="Recent knowledge changes and review decisions")
    @app_commands.describe(model="Only changes to this model")
    @moderator_only()
    async def history(
        self,
        interaction: discord.Interaction[RiderBot],
        model: app_commands.Transform[str, ModelTransformer] | None = None,
    ) -> None:
        rows = await self.bot.storage.history(model, limit=HISTORY_ROWS, scope=guild_of(interaction))
        await interaction.response.send_message(embed=history_embed(rows, model), ephemeral=True)


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Kb(bot))
