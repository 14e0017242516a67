"""Looking things up without a question: ``/license`` (a licence card), ``/compare`` (one topic for
several models side by side) and ``/topics`` / ``/help`` (what the bot knows and how to ask)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.lookup import ModelTransformer, TopicTransformer, model_list_choices, resolve_models
from bot.rendering.embeds import COMPARE_MAX_MODELS, clip, compare_embed, license_card, topics_embed

CONTENT_MAX = 2000  # Discord's limit for a message's text

if TYPE_CHECKING:
    from bot.client import RiderBot


class Cards(commands.Cog):
    def __init__(self, bot: RiderBot) -> None:
        self.bot = bot

    @app_commands.command(name="license", description="A model's licence at a glance: one line per topic")
    @app_commands.describe(model="Model name, e.g. Llama 3.1 or mistralai/Mistral-7B-v0.1")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def license(self, interaction: discord.Interaction[RiderBot],
                      model: app_commands.Transform[str, ModelTransformer]) -> None:
        await interaction.response.send_message(embed=license_card(self.bot.engine.kb, model))

    @app_commands.command(name="compare", description="One topic for several models, side by side")
    @app_commands.describe(topic="What to compare, e.g. Training on outputs",
                           models=f"Comma-separated model names (at most {COMPARE_MAX_MODELS}), "
                                  "e.g. Llama 2, Llama 3.1, Mistral 7B")
    @app_commands.allowed_contexts(guilds=True, dms=True)
    async def compare(self, interaction: discord.Interaction[RiderBot],
                      topic: app_commands.Transform[str, TopicTransformer], models: str) -> None:
        kb = self.bot.engine.kb
        model_ids, problems = resolve_models(kb, models)
        if problems or not model_ids:
            text = "\n".join(problems) or "Name at least one model, separated by commas."
            await interaction.response.send_message(clip(text, CONTENT_MAX), ephemeral=True)
            return
        if len(model_ids) > COMPARE_MAX_MODELS:
            await interaction.response.send_message(
                f"I can compare at most {COMPARE_MAX_MODELS} models at once.", ephemeral=True)
            return
        await interaction.response.send_message(embed=compare_embed(kb, topic, model_ids))

    @compare.autocomplete("models")
    async def compare_models(self, interaction: discord.Interaction[RiderBot],
                             current: str) -> list[app_commands.Choice[str]]:
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
