"""Answer rendering: an Answer becomes text (CLI, console) or a Discord embed (rendering.embeds)."""

from bot.rendering.common import DISCLAIMER, VERDICT_LABELS, license_line, subject_name
from bot.rendering.text import render_text

__all__ = ["DISCLAIMER", "VERDICT_LABELS", "license_line", "render_text", "subject_name"]
