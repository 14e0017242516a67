"""Looking things up without a question: ``/license`` (a licence card), ``/compare`` (one topic for
several models side by side) and ``/topics`` / ``/help`` (what the bot knows and how to ask).

Names go through the one resolver (bot.cogs.lookup): ``/license gemma`` says "gemma" could be
several models and offers one button per member (``rb:card:<model>``, persistent, registered in
``cog_load``); ``/compare`` reads a family as all its members."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.lookup import (
    TopicTransformer,
    ambiguous,
    exact_id,
    model_index,
    model_list_choices,
    models_for,
    not_a_model,
)
from bot.matching.resolve import FAMILY, MODEL
from bot.rendering.embeds import (
    COMPARE_MAX_MODELS,
    clip,
    compare_embed,
    license_card,
    short_name,
    topics_embed,
)

CONTENT_MAX = 2000  # Discord's limit for a message's text
MAX_BUTTONS = 25
BUTTON_LABEL_MAX = 80

if TYPE_CHECKING:
    from bot.client import RiderBot


class CardButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"rb:card:(?P<model>[a-z0-9][a-z0-9._\-]*)"
):
    """One member of an ambiguous ``/license`` name: a click posts that model's licence card."""

    def __init__(self, model_id: str, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label or model_id, BUTTON_LABEL_MAX),
                style=discord.ButtonStyle.primary,
                custom_id=f"rb:card:{model_id}",
            )
        )
        self.model_id = model_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CardButton:
        return cls(match["model"], getattr(item, "label", None))

    async def callback(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        kb = interaction.client.engine.kb
        if self.model_id not in kb.models:
            await interaction.response.send_message(
                "I no longer know that model; please ask again.", ephemeral=True
            )
            return
        await interaction.response.send_message(embed=license_card(kb, self.model_id))


def card_buttons(interaction: discord.Interaction[RiderBot], model_ids: tuple[str, ...]) -> discord.ui.View:
    kb = interaction.client.engine.kb
    view = discord.ui.View(timeout=None)
    for model_id in [m for m in model_ids if m in kb.models][:MAX_BUTTONS]:
        button = CardButton(model_id, short_name(kb.models[model_id].name))
        button.row = len(view.children) // 5
        view.add_item(button)
    return view


class Cards(commands.Cog):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(CardButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(CardButton)

    @app_commands.command(name="license", description="A model's licence at a glance: one line per topic")
    @app_commands.describe(model="Model name, e.g. Llama 3.1 or mistralai/Mistral-7B-v0.1")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def license(self, interaction: discord.Interaction[RiderBot], model: str) -> None:
        matcher = self.bot.engine.matcher
        picked = exact_id(model, matcher.kb.models)  # a suggestion picked from the autocomplete
        found = matcher.resolve(model) if picked is None else None
        if picked is None and found is not None and found.kind == MODEL:
            picked = found.ids[0]
        if picked is not None:
            await interaction.response.send_message(embed=license_card(matcher.kb, picked))
        elif found is not None and found.kind == FAMILY:
            await interaction.response.send_message(
                ambiguous(matcher.kb, found), ephemeral=True, view=card_buttons(interaction, found.ids)
            )
        else:
            assert found is not None
            await interaction.response.send_message(
                clip(not_a_model(matcher.kb, found), CONTENT_MAX), ephemeral=True
            )

    @license.autocomplete("model")
    async def license_models(
        self, interaction: discord.Interaction[RiderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return model_index(self.bot.engine.kb).choices(current)

    @app_commands.command(name="compare", description="One topic for several models, side by side")
    @app_commands.describe(
        topic="What to compare, e.g. Training on outputs",
        models=f"Comma-separated model names (at most {COMPARE_MAX_MODELS}), "
        "e.g. Llama 2, Llama 3.1, Mistral 7B",
    )
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def compare(
        self,
        interaction: discord.Interaction[RiderBot],
        topic: app_commands.Transform[str, TopicTransformer],
        models: str,
    ) -> None:
        kb = self.bot.engine.kb
        model_ids, problems = models_for(self.bot.engine.matcher, models)
        if problems or not model_ids:
            text = "\n".join(problems) or "Name at least one model, separated by commas."
            await interaction.response.send_message(clip(text, CONTENT_MAX), ephemeral=True)
            return
        if len(model_ids) > COMPARE_MAX_MODELS:
            await interaction.response.send_message(
                f"I can compare at most {COMPARE_MAX_MODELS} models at once.", ephemeral=True
            )
            return
        await interaction.response.send_message(embed=compare_embed(kb, topic, model_ids))

    @compare.autocomplete("models")
    async def compare_models(
        self, interaction: discord.Interaction[RiderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return model_list_choices(self.bot.engine.kb, current)

    @app_commands.command(name="topics", description="What riderbot knows and how to ask it")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def topics(self, interaction: discord.Interaction[RiderBot]) -> None:
        await interaction.response.send_message(embed=topics_embed(self.bot.engine.kb), ephemeral=True)

    @app_commands.command(name="help", description="How to ask riderbot about AI model licences")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def help(self, interaction: discord.Interaction[RiderBot]) -> None:
        await interaction.response.send_message(embed=topics_embed(self.bot.engine.kb), ephemeral=True)


async def setup(bot: RiderBot) -> None:
    await bot.add_cog(Cards(bot))
