"""Errors riderbot raises on purpose, in one module (as python-discord/bot's ``bot/errors.py``).

Each carries a message that is shown to the person as is: ``RiderTree.on_error`` (bot.client) turns
the app-command ones into one short ephemeral sentence, ``run_bot`` prints a ``StartupError`` as one
line on stderr. Anything else that reaches those handlers is a bug and is logged with its traceback.
"""

from __future__ import annotations

from discord import app_commands


class NotModerator(app_commands.CheckFailure):
    """The member may not use a moderator command (see bot.cogs.checks.is_moderator)."""


class NotMaintainer(NotModerator):
    """A change for every server, made by someone who is not one of riderbot's maintainers
    (see bot.cogs.checks.is_maintainer)."""


class LookupFailed(app_commands.AppCommandError):
    """A model, licence or topic name typed into an option that does not name exactly one thing."""


class StartupError(Exception):
    """``riderbot run`` cannot start (Discord unreachable, a database it cannot open...): one sentence."""
