"""The buttons under an answer, and ``render``: an Answer as message arguments (embed + buttons).
Not an extension: the Ask cog registers these persistent items in its ``cog_load``.

Both kinds are ``DynamicItem``s: their state lives in the ``custom_id``, so a click on a message
sent before a restart still works.

* ``rb:vote:up`` / ``rb:vote:down``: feedback on an answer, keyed by the message id (one vote per
  user per answer; "not helpful" puts the question into the review queue).
* ``rb:pick:<model>:<topic>[:<part>]``: a clarify candidate; the click edits the message into the
  answer (with ``part``, in a message that asked several questions: only that part's embed). The
  model picked becomes the conversation's (bot.conversations), so "and 3.1?" follows it.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.cogs.answering import Origin, remember_answer, where_of_interaction
from bot.knowledge import KnowledgeBase
from bot.matching import ANSWERED, CLARIFY, Answer
from bot.matching.matcher import Context
from bot.rendering.embeds import MAX_PARTS, TOTAL_MAX, answer_embed, answer_embeds, clip, short_name

if TYPE_CHECKING:
    from bot.client import RiderBot

log = logging.getLogger("riderbot.views")

MAX_PICKS = 25  # 5 rows of 5 buttons
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100

VOTE_THANKS = "Thanks for the feedback!"
VOTE_NOT_HELPFUL = "Thanks: I've sent this question to the maintainers for review."
VOTE_TWICE = "You've already voted on this answer."


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"rb:vote:(?P<direction>up|down)"):
    def __init__(self, direction: str) -> None:
        helpful = direction == "up"
        super().__init__(
            discord.ui.Button(
                label="Helpful" if helpful else "Not helpful",
                emoji="\N{THUMBS UP SIGN}" if helpful else "\N{THUMBS DOWN SIGN}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"rb:vote:{direction}",
            )
        )
        self.helpful = helpful

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["direction"])

    async def callback(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        message = interaction.message
        if message is None:
            return
        async with bot.busy():
            recorded = await bot.storage.record_vote(
                message.id, interaction.user.id, self.helpful, interaction.guild_id, interaction.channel_id
            )
            if not recorded:
                text = VOTE_TWICE
            else:
                text = VOTE_THANKS if self.helpful else VOTE_NOT_HELPFUL
            await interaction.response.send_message(text, ephemeral=True)


class PickButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"rb:pick:(?P<model>[a-z0-9][a-z0-9._\-]*):(?P<topic>[a-z][a-z\-]*)(?::(?P<part>[1-9]))?",
):
    def __init__(self, model_id: str, topic: str, label: str | None = None, part: int | None = None) -> None:
        suffix = f":{part}" if part else ""
        super().__init__(
            discord.ui.Button(
                label=clip(label or model_id, BUTTON_LABEL_MAX),
                style=discord.ButtonStyle.primary,
                custom_id=f"rb:pick:{model_id}:{topic}{suffix}",
            )
        )
        self.model_id = model_id
        self.topic = topic
        self.part = part

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PickButton:
        part = int(match["part"]) if match["part"] else None
        return cls(match["model"], match["topic"], getattr(item, "label", None), part)

    async def callback(self, interaction: discord.Interaction[RiderBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        message = interaction.message
        kb = bot.engine.kb
        if message is None:
            return
        if self.model_id not in kb.models or self.topic not in kb.topics:
            await interaction.response.send_message(
                "I no longer know that model; please ask again.", ephemeral=True
            )
            return
        async with bot.busy():
            stored = await bot.storage.get_answer(message.id)
            question = stored["question"] if stored else f"{kb.models[self.model_id].name} {self.topic}"
            answer = bot.engine.answer_for(self.model_id, self.topic, question)
            if self.part and 1 < len(message.embeds) and self.part <= len(message.embeds):
                await interaction.response.edit_message(**self._edited_part(kb, message, answer, self.part))
            else:
                await interaction.response.edit_message(**render(kb, answer, edit=True))
            origin = (
                Origin(stored["guild_id"], stored["channel_id"], stored["user_id"])
                if stored
                else Origin.of_interaction(interaction)
            )
            context = Context.of(answer)
            if context is not None:  # the pick is the model of the asker's conversation now
                bot.conversations.picked(
                    context, where_of_interaction(interaction), origin.user_id, message.id
                )
            await remember_answer(bot, answer, message.id, origin)  # its question was logged when asked

    @staticmethod
    def _edited_part(
        kb: KnowledgeBase, message: discord.Message, answer: Answer, part: int
    ) -> dict[str, Any]:
        """The message with only this part's embed replaced by the answer; the other parts' pick
        buttons stay, and the feedback buttons come (or stay)."""
        embeds = list(message.embeds)
        count = len(embeds)
        embeds[part - 1] = answer_embed(kb, answer, total=TOTAL_MAX // count - 10, index=(part, count))
        view = discord.ui.View(timeout=None)
        view.add_item(VoteButton("up"))
        view.add_item(VoteButton("down"))
        for row in message.components:
            for item in getattr(row, "children", ()):
                custom_id = getattr(item, "custom_id", None) or ""
                found = re.fullmatch(PickButton.__discord_ui_compiled_template__, custom_id)
                if found is None or found["part"] == str(part) or len(view.children) >= MAX_PICKS:
                    continue
                button = PickButton(
                    found["model"], found["topic"], item.label, int(found["part"]) if found["part"] else None
                )
                button.row = len(view.children) // 5
                view.add_item(button)
        return {"embeds": embeds, "view": view}


def answer_view(kb: KnowledgeBase, answer: Answer) -> discord.ui.View | None:
    """Feedback buttons under an answer; one button per candidate under a clarify; else none. A
    message that asked several questions gets the feedback buttons when any part was answered and,
    for each part that needs clarifying, its candidates (each button knowing its part)."""
    if answer.parts and not answer.compare:
        parts = answer.parts[:MAX_PARTS]
        view = discord.ui.View(timeout=None)
        if any(p.status == ANSWERED for p in parts):
            view.add_item(VoteButton("up"))
            view.add_item(VoteButton("down"))
        for index, part in enumerate(parts, 1):
            if part.status == CLARIFY:
                _add_picks(kb, view, part, index)
        return view if view.children else None
    if answer.status == ANSWERED:
        view = discord.ui.View(timeout=None)
        view.add_item(VoteButton("up"))
        view.add_item(VoteButton("down"))
        return view
    if answer.status == CLARIFY and answer.candidates:
        view = discord.ui.View(timeout=None)
        _add_picks(kb, view, answer, None)
        return view if view.children else None
    return None


def _add_picks(kb: KnowledgeBase, view: discord.ui.View, answer: Answer, part: int | None) -> None:
    suffix = f":{part}" if part else ""
    for candidate in answer.candidates:
        topic = candidate.topic or answer.topic
        if not topic or candidate.model not in kb.models:
            continue
        if len(f"rb:pick:{candidate.model}:{topic}{suffix}") > CUSTOM_ID_MAX:
            continue
        if len(view.children) >= MAX_PICKS:
            break
        button = PickButton(candidate.model, topic, short_name(kb.models[candidate.model].name), part)
        button.row = len(view.children) // 5
        view.add_item(button)


def render(kb: KnowledgeBase, answer: Answer, *, edit: bool = False, logged: bool = True) -> dict[str, Any]:
    """Keyword arguments for send/reply/edit: the embeds (one per question when the message asked
    several) and, when the outcome has any, its buttons. For an edit, ``view=None`` removes buttons
    the message no longer needs. ``logged=False``: the question could not be stored, and the reply
    says so instead of "I've logged the question"."""
    kwargs: dict[str, Any] = {"embeds": answer_embeds(kb, answer, logged=logged)}
    view = answer_view(kb, answer)
    if view is not None or edit:
        kwargs["view"] = view
    return kwargs
