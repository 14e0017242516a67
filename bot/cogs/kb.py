"""Knowledge edits: ``/kb alias``, ``/kb unalias``, ``/kb edit`` (a modal pre-filled with the current
answer), ``/kb add-model``, ``/kb reload`` and ``/kb history``.

Who may change what (bot.cogs.checks): a server's moderators add and remove aliases for their own
server (``/kb alias scope:this server``, ``/kb unalias``); riderbot's maintainers make the changes
every server gets (``/kb alias scope:everyone``, ``/kb edit``, ``/kb add-model``, ``/kb reload``).

Every change is checked before anything is stored (bot.cogs.changes): validated like a file edit
(the whole knowledge base is loaded with it), an alias must not be an ordinary word or another
thing's name, and the project's eval must not get worse. A change for every server is a maintainer
edit stored with its audit row in one transaction (bot.livekb), swapped in live, and announced in the
log channel. One change or reload at a time (``RiderBot.knowledge_lock``); the slow parts run in a
thread so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.changes import add_server_alias, save_for_everyone
from bot.cogs.checks import (
    guild_of,
    is_maintainer,
    maintainer,
    maintainer_only,
    moderator_only,
    moderator_or_maintainer_only,
)
from bot.cogs.lookup import LicenseTransformer, ModelTransformer, TopicTransformer
from bot.cogs.modlog import post_to_log_channel
from bot.errors import NotModerator
from bot.knowledge import KnowledgeBase, KnowledgeError
from bot.knowledge.edits import EditRefused, alias_edit, answer_edit, model_edit
from bot.knowledge.model import MODEL_KINDS
from bot.livekb import load as load_live
from bot.rendering.common import topic_name
from bot.rendering.embeds import clip, safe, short_name
from bot.rendering.review import history_embed, problems_text

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.kb")

ANSWER_MAX = 1000  # what edits.answer_edit accepts
MODAL_TITLE_MAX = 45
MODAL_TIMEOUT = 15 * 60.0
HISTORY_ROWS = 15
AliasScope = Literal["this server", "everyone"]


def summary(kb: KnowledgeBase) -> str:
    return f"{len(kb.models)} models, {len(kb.licenses)} licences, as of {kb.knowledge_date}"


def refused(exc: Exception) -> str:
    return clip(f"Refused, nothing changed: {safe(str(exc))}", 2000)


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
            await is_maintainer(interaction)  # still a maintainer when submitting
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

    async def for_everyone(
        self,
        interaction: discord.Interaction[RiderBot],
        make,
        *,
        before: str | None,
        after: str,
        done: str,
        aliases: tuple[str, ...] = (),
    ) -> None:
        """Store a maintainer edit (checked and gated, see bot.cogs.changes), tell the maintainer
        and the log channel. The interaction is deferred first: the checks take a few seconds."""
        bot = self.bot
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        async with bot.busy(), bot.knowledge_lock:
            try:
                edit = await save_for_everyone(
                    bot, make, by=interaction.user.id, before=before, after=after, aliases=aliases
                )
            except EditRefused as exc:
                await interaction.edit_original_response(content=refused(exc))
                return
        await interaction.edit_original_response(
            content=clip(f"{done}, for every server (maintainer edit #{edit.id}).", 2000)
        )
        await post_to_log_channel(bot, interaction.guild_id, f"\N{MEMO} <@{interaction.user.id}> {done}")

    # -- commands ----------------------------------------------------------------------------------
    @app_commands.command(name="alias", description="Teach riderbot another name for a model")
    @app_commands.describe(
        model="The model",
        alias="The new name, e.g. L2-chat",
        scope="This server only, or every server (maintainers); default: every server for maintainers",
    )
    @moderator_or_maintainer_only()
    async def alias(
        self,
        interaction: discord.Interaction[RiderBot],
        model: app_commands.Transform[str, ModelTransformer],
        alias: app_commands.Range[str, 1, 100],
        scope: AliasScope | None = None,
    ) -> None:
        bot = self.bot
        everyone = scope == "everyone" or (scope is None and await maintainer(interaction))
        if everyone:
            await is_maintainer(interaction)
        kb = bot.engine.kb
        name = kb.models[model].name
        if everyone:
            shown = safe(clip(" ".join(alias.split()), 100))
            await self.for_everyone(
                interaction,
                lambda live: alias_edit(live.kb, model, alias),
                before=", ".join(kb.models[model].aliases),
                after=" ".join(alias.split()),
                done=f'added the alias "{shown}" to **{name}**',
                aliases=(alias,),
            )
            return
        guild_id = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with bot.busy(), bot.knowledge_lock:
            try:
                stored = await add_server_alias(bot, guild_id, model, alias, interaction.user.id)
            except EditRefused as exc:
                await interaction.edit_original_response(content=refused(exc))
                return
        done = f'added the alias "{safe(stored)}" to **{name}** for this server'
        await interaction.edit_original_response(content=f"{done} (other servers are not affected).")
        await post_to_log_channel(bot, guild_id, f"\N{MEMO} <@{interaction.user.id}> {done}")

    @app_commands.command(name="unalias", description="Remove one of this server's own aliases")
    @app_commands.describe(alias="The alias, as added with /kb alias")
    @moderator_only()
    async def unalias(
        self, interaction: discord.Interaction[RiderBot], alias: app_commands.Range[str, 1, 100]
    ) -> None:
        bot = self.bot
        guild_id = guild_of(interaction)
        async with bot.busy(), bot.knowledge_lock:
            removed = await bot.storage.remove_guild_alias(guild_id, alias, interaction.user.id)
            if removed is not None:
                await bot.scopes.reload(guild_id)
        shown = safe(clip(" ".join(alias.split()), 100))
        if removed is None:
            await interaction.response.send_message(
                f'This server has no alias "{shown}" of its own.', ephemeral=True
            )
            return
        await interaction.response.send_message(f'Removed this server\'s alias "{shown}".', ephemeral=True)
        await post_to_log_channel(
            bot, guild_id, f'\N{MEMO} <@{interaction.user.id}> removed this server\'s alias "{shown}"'
        )

    @app_commands.command(name="edit", description="Rewrite the answer for a model and topic (maintainers)")
    @app_commands.describe(model="The model", topic="The topic whose answer you want to change")
    @maintainer_only()
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
        await self.for_everyone(
            interaction,
            lambda live: answer_edit(live.kb, model, topic, text, base=live.base),
            before=rider.answer if rider else None,
            after=" ".join(text.split()),
            done=f"changed the answer for **{kb.models[model].name}**, {topic_name(kb, topic).lower()}",
        )

    @app_commands.command(
        name="add-model", description="Add a model under a licence riderbot has (maintainers)"
    )
    @app_commands.describe(
        family="The family it belongs to (e.g. flux)",
        model_id="A new id: lower-case letters, digits, . _ - (e.g. flux.1-dev)",
        name="Its name as the licensor writes it",
        license="The licence it is under",
        evidence_url="The licensor's page saying so (model card, README, release notes)",
        evidence_line="The line on that page saying which licence it is under, verbatim",
        aliases="Other names, comma-separated",
        kind="What kind of model it is",
    )
    @app_commands.rename(model_id="id", evidence_url="evidence-url", evidence_line="evidence-line")
    @maintainer_only()
    async def add_model(
        self,
        interaction: discord.Interaction[RiderBot],
        family: app_commands.Range[str, 1, 64],
        model_id: app_commands.Range[str, 1, 64],
        name: app_commands.Range[str, 1, 100],
        license: app_commands.Transform[str, LicenseTransformer],
        evidence_url: app_commands.Range[str, 1, 500],
        evidence_line: app_commands.Range[str, 1, 1000],
        aliases: app_commands.Range[str, 0, 500] | None = None,
        kind: str | None = None,
    ) -> None:
        names = tuple(a.strip() for a in (aliases or "").split(",") if a.strip())
        if kind is not None and kind not in MODEL_KINDS:
            await interaction.response.send_message(
                f"Unknown kind; one of: {', '.join(MODEL_KINDS)}.", ephemeral=True
            )
            return
        kb = self.bot.engine.kb
        lic = kb.licenses[license].name

        def make(live):
            return model_edit(
                live.kb,
                family=family.strip(),
                model_id=model_id.strip(),
                name=name,
                license_id=license,
                evidence_url=evidence_url.strip(),
                evidence_text=evidence_line,
                aliases=names,
                kind=kind,
            )

        await self.for_everyone(
            interaction,
            make,
            before=None,
            after=f"{model_id.strip()} under {license}: {evidence_url.strip()}",
            done=f"added **{safe(clip(' '.join(name.split()), 100))}** under the {lic}",
            aliases=names,
        )
        entered = self.bot.engine.kb.models.get(model_id.strip())
        if entered is not None and entered.maintainer_entered:
            await interaction.followup.send(
                "Its answers say it was entered by the maintainers until its evidence text is saved in "
                "riderbot's `knowledge/sources/` (`riderbot kb diff` makes the patch to send upstream).",
                ephemeral=True,
            )

    @add_model.autocomplete("family")
    async def family_choices(
        self, interaction: discord.Interaction[RiderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        kb = self.bot.engine.kb
        text = current.lower().strip()
        found = sorted(f for f in kb.families if text in f or text in kb.families[f].name.lower())
        return [
            app_commands.Choice(name=clip(f"{kb.families[f].name} ({f})", 100), value=f) for f in found[:25]
        ]

    @add_model.autocomplete("kind")
    async def kind_choices(
        self, interaction: discord.Interaction[RiderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=k, value=k) for k in MODEL_KINDS if current.lower() in k][:25]

    @app_commands.command(name="reload", description="Reload the knowledge files and edits (maintainers)")
    @maintainer_only()
    async def reload(self, interaction: discord.Interaction[RiderBot]) -> None:
        bot = self.bot
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with bot.busy(), bot.knowledge_lock:
            old = bot.engine.kb
            try:  # in a thread; install_knowledge swaps it in and re-teaches
                live = await load_live(bot.storage, bot.knowledge_root)
            except KnowledgeError as exc:
                await interaction.edit_original_response(
                    content=f"The knowledge files have {len(exc.problems)} problem(s), so I kept the knowledge I "
                    f"had ({summary(old)}):\n{problems_text(exc.problems)}"
                )
                return
            bot.live = live
            await bot.install_knowledge(live.kb)
            await bot.storage.audit(
                interaction.user.id, "reload", None, "knowledge", summary(old), summary(live.kb)
            )
        left_out = live.applied.report()
        text = f"Reloaded the knowledge: {summary(live.kb)}."
        if left_out:
            text += "\n" + problems_text(left_out)
        await interaction.edit_original_response(content=clip(text, 2000))
        await post_to_log_channel(
            bot,
            interaction.guild_id,
            f"\N{ANTICLOCKWISE DOWNWARDS AND UPWARDS OPEN CIRCLE ARROWS} <@{interaction.user.id}> "
            f"reloaded the knowledge: {summary(live.kb)}",
        )

    @app_commands.command(name="history", description="Recent knowledge changes and review decisions")
    @app_commands.describe(model="Only changes to this model")
    @moderator_only()
    async def history(
        self,
        interaction: discord.Interaction[RiderBot],
        model: app_commands.Transform[str, ModelTransformer] | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        rows = await self.bot.storage.history(model, limit=HISTORY_ROWS, scope=guild_id)
        await interaction.response.send_message(
            embed=history_embed(
                rows, model, guild_id=guild_id, reveal=guild_id == self.bot.settings.maintainer_guild
            ),
            ephemeral=True,
        )


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Kb(bot))
