# ruff: noqa: ASYNC109  -- the waiting helpers take a `timeout` on purpose (test ergonomics)
"""An in-process fake Discord (REST + gateway) for end-to-end tests of discord.py bots.

``FakeDiscord`` starts a small aiohttp server on ``127.0.0.1`` (random free port) that speaks
enough of the Discord HTTP API and gateway protocol for an **unmodified** discord.py 2.7.x
client (``commands.Bot`` with app commands, views, modals) to log in, connect, receive
events and answer them. Nothing ever leaves loopback; use a fake token such as
``"fake.token.x"``.

How it hooks into discord.py
----------------------------
While patched (``async with FakeDiscord()`` does it for you) three class attributes point at
the fake and are restored on exit:

* ``discord.http.Route.BASE``                      -> ``http://127.0.0.1:<port>/api/v10``
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` -> ``ws://127.0.0.1:<port>/``
* ``discord.asset.Asset.BASE``                     -> ``http://127.0.0.1:<port>/cdn``

For belt and braces pass ``http_trace=fake.loopback_guard()`` to the bot: any request to a
non-loopback host then raises immediately (and is recorded in ``fake.non_loopback_requests``).

Fixture example (pytest-asyncio)::

    import discord, pytest, pytest_asyncio
    from discord.ext import commands
    from fakediscord import FakeDiscord, FAKE_TOKEN

    @pytest_asyncio.fixture
    async def fake():
        async with FakeDiscord() as fake:          # start server + patch discord.py
            yield fake                             # (restores + stops on exit)

    @pytest_asyncio.fixture
    async def bot(fake):
        intents = discord.Intents.default()
        intents.message_content = True
        bot = commands.Bot(command_prefix="!", intents=intents,
                           guild_ready_timeout=0.1,              # READY fires fast
                           http_trace=fake.loopback_guard())     # optional safety net
        async with fake.run(bot, token=FAKE_TOKEN):   # start(), wait_until_ready(), close()
            yield bot

    @pytest.mark.asyncio
    async def test_ping(fake, bot):
        ex = await fake.send_message("!ping", author="alice", channel="general")
        reply = await ex.reply()                   # dict: the message payload the bot POSTed
        assert reply["content"] == "pong"

        h = await fake.slash("ride", {"destination": "Airport"}, user="mod")
        cb = await h.response()                    # {"type": 4, "data": {...}}
        msg = await h.message()                    # visible message (also after defer + edit)
        click = await fake.click("confirm")        # finds the latest bot message with that button
        assert (await click.response())["type"] == 7

        fake.assert_no_unexpected_requests()

World model (all ids are snowflakes, stored as strings in payloads like Discord does)
-------------------------------------------------------------------------------------
* ``fake.bot_user`` (dict), ``fake.application_id`` (== bot user id), ``fake.guild_id``
* ``fake.channels``: name -> text channel payload (``general``, ``bot-commands``, ``mod-log``)
* ``fake.roles``: name -> role payload (``@everyone``, ``Moderator`` [manage_guild, manage_messages,
  kick/ban/moderate members], ``riderbot`` [the bot's managed role])
* ``fake.users``: name -> user payload (``alice``, ``bob``, ``mod`` [Moderator role], ``owner``
  [guild + application owner]) plus ``"bot"`` for the bot user. Add more with ``add_user``.
  ``fake.application_owner`` (a user payload) and ``fake.application_team`` (a list of them, or
  None) are what ``GET /oauth2/applications/@me`` says (discord.py's ``Bot.is_owner``).
* More guilds: ``add_guild(name, owner=...)``, with roles of their own (``add_role(..., guild=id)``)
  and per-guild member roles (``set_roles(user, roles, guild=id)``); interactions and
  ``GET /guilds/{id}/members/{user}`` carry each guild's roles and permissions.
  Wherever a user/channel/role is expected you may pass its name, its id (int/str) or its payload.

Everything is recorded: ``requests`` (every REST call: method, path, query, json, files, status),
``unexpected_requests`` (unknown routes, answered 404), ``messages`` (id -> payload, users' and
bot's), ``bot_messages`` (what the bot created, in order; dicts are updated in place on edit),
``edits``, ``deleted_message_ids``, ``callbacks``, ``interactions``, ``modals``, ``global_commands``
/ ``guild_commands`` (what was synced), ``identifies``, ``resumes``, ``presence_updates``,
``reactions``, ``typing``.

Behaviour worth knowing
-----------------------
* Intents are honoured like Discord does (``enforce_intents=True``): MESSAGE_CREATE is not
  delivered without GUILD_MESSAGES / DIRECT_MESSAGES, and content/embeds/attachments/components
  are blanked without MESSAGE_CONTENT unless it is a DM, the bot is mentioned or the bot wrote it.
* The bot's own messages are echoed back as MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE
  (``echo_bot_messages=True``), so a bot that answers itself loops here as it would on Discord.
* Interactions behave like Discord's: a second callback gets 400 (code 40060), a callback later
  than ``interaction_deadline`` seconds (default 3.0) gets 404 Unknown interaction (10062),
  followups/@original before any callback get 404.
* Gateway events are kept per session and replayed on RESUME, so events dispatched while the
  bot is reconnecting are not lost. ``drop_connection`` closes the socket (code 4000 by default,
  or ``abrupt=True`` to kill the TCP connection) and the client RESUMEs.
* Fault injection: ``rate_limit_next`` (well-formed 429 that discord.py retries) and
  ``fail_next`` (any status/JSON error code, e.g. 403 / 50013 Missing Permissions). Note that
  discord.py retries 500/502/504 itself after sleeping 1 s, 3 s, ...
* ``send_reconnect()`` (op 7) makes the client RESUME; ``invalidate_session()`` (op 9) makes it
  IDENTIFY again. discord.py sleeps 5 s before a non-initial IDENTIFY (``before_identify_hook``);
  ``fake.run()`` removes that delay unless the bot class overrides the hook.
* Slash options: ``{name: value}``; types come from the synced definition (else inferred from
  the Python type). USER/ROLE/CHANNEL/MENTIONABLE/ATTACHMENT values may be names, ids or
  payloads and get ``data.resolved``. Commands synced to the guild get ``data.guild_id`` (as
  Discord sends it; discord.py needs it to find guild commands). ``strict_commands=True`` makes
  ``slash()`` refuse commands that were never synced.
* All waits (``reply``, ``response``, ``next_bot_message``, ``wait_for`` ...) are Condition based
  (re-checked on every recorded event, and every 50 ms so predicates may look at bot state) and
  raise ``FakeDiscordTimeout`` (an AssertionError) with the recent request log on timeout.
* The fake runs in the test's event loop: create it inside the async test/fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import itertools
import json
import pickle
import re
import secrets
import socket
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import aiohttp
import discord
import discord.asset
import discord.gateway
import discord.http
import yarl
from aiohttp import web

__all__ = [
    "FAKE_TOKEN",
    "FakeDiscord",
    "FakeDiscordTimeout",
    "FakeInteraction",
    "MessageExchange",
    "RecordedRequest",
    "make_snowflake",
]

FAKE_TOKEN = "fake.token.x"
NONCE_SECONDS = 300.0  # how long Discord remembers an enforced nonce ("a few minutes")
DISCORD_EPOCH = 1420070400000
JSON_CT = {"Content-Type": "application/json"}  # exactly this: discord.py compares the header verbatim

# gateway opcodes
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE_STATE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = (
    6,
    7,
    8,
    9,
    10,
    11,
)

# intents bits
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

# interaction types / callback types
IT_PING, IT_COMMAND, IT_COMPONENT, IT_AUTOCOMPLETE, IT_MODAL_SUBMIT = 1, 2, 3, 4, 5
CB_PONG, CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_DEFERRED_UPDATE, CB_UPDATE = 1, 4, 5, 6, 7
CB_AUTOCOMPLETE, CB_MODAL, CB_LAUNCH_ACTIVITY = 8, 9, 12

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

_P = discord.Permissions
ALL_PERMISSIONS = _P.all().value
EVERYONE_PERMISSIONS = _P(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_external_emojis=True,
    use_application_commands=True,
    connect=True,
    speak=True,
    create_instant_invite=True,
    change_nickname=True,
).value
MODERATOR_PERMISSIONS = _P(
    manage_guild=True,
    manage_messages=True,
    kick_members=True,
    ban_members=True,
    moderate_members=True,
    manage_roles=True,
    manage_channels=True,
    view_audit_log=True,
).value
BOT_PERMISSIONS = _P(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    add_reactions=True,
    use_external_emojis=True,
    manage_messages=True,
).value

# 1x1 transparent PNG served for any CDN asset
_PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)

_sf_counter = itertools.count(1)


def make_snowflake() -> int:
    """A realistic, strictly increasing snowflake (timestamp << 22 | counter)."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH
    return (ms << 22) | (next(_sf_counter) & 0x3FFFFF)


def _sf() -> str:
    return str(make_snowflake())


def _clone(obj: Any) -> Any:
    """A deep copy of JSON-like data; pickle round-trips it several times faster than copy.deepcopy,
    which matters when the benchmark pushes hundreds of messages through the fake."""
    return pickle.loads(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _path_regex(pattern: str) -> re.Pattern[str]:
    """'/channels/{id}/messages' -> regex; '{...}' matches one path segment, '*' anything."""
    out = []
    for part in re.split(r"(\{[^}]*\}|\*)", pattern):
        if not part:
            continue
        if part == "*":
            out.append(".*")
        elif part.startswith("{"):
            out.append("[^/]+")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "$")


def _walk_components(components: Iterable[dict]) -> Iterable[dict]:
    for c in components or ():
        if not isinstance(c, dict):
            continue
        yield c
        yield from _walk_components(c.get("components") or ())
        for key in ("accessory", "component"):
            if isinstance(c.get(key), dict):
                yield from _walk_components([c[key]])


class FakeDiscordTimeout(AssertionError):
    """Raised when something the test waits for does not happen in time."""


@dataclass
class RecordedRequest:
    method: str
    path: str  # relative to the API base, e.g. "/channels/123/messages"
    query: dict[str, str]
    json: Any  # parsed JSON body (or multipart payload_json), None if no body
    files: list[dict[str, Any]] = field(
        default_factory=list
    )  # [{"field", "filename", "size", "content_type"}]
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    unexpected: bool = False
    fault: str | None = None  # the injected fault that shaped this request's response, if any
    time: float = field(default_factory=time.monotonic)

    def __repr__(self) -> str:
        q = ("?" + "&".join(f"{k}={v}" for k, v in self.query.items())) if self.query else ""
        return f"<{self.method} {self.path}{q} -> {self.status}>"


@dataclass
class _Fault:
    method: str
    regex: re.Pattern[str]
    count: int
    build: Callable[[], web.Response] | None  # None: only a delay
    label: str
    after: bool = False  # run the route first (the message IS created), then answer with build()
    delay: float = 0.0  # seconds to wait before handling the request


class _Session:
    def __init__(self, session_id: str, intents: int, token: str, shard: int = 0) -> None:
        self.session_id = session_id
        self.shard = shard
        self.intents = intents
        self.token = token
        self.seq = 0
        self.events: list[dict] = []  # every dispatched frame, for replay on RESUME
        self.conn: _Conn | None = None  # live, identified/resumed connection


class _Conn:
    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.heartbeats = 0
        self.acks = 0
        self.silent = False  # a zombie: open, but no events and no heartbeat ACKs
        self.shard: tuple[int, int] = (0, 1)


# --------------------------------------------------------------------------------------
# Handles returned to tests
# --------------------------------------------------------------------------------------


class MessageExchange:
    """Returned by ``FakeDiscord.send_message``: the user message plus a cursor on bot replies."""

    def __init__(self, fake: FakeDiscord, payload: dict, delivered: bool) -> None:
        self.fake = fake
        self.payload = payload  # full message as the user sent it (before intent-based blanking)
        self.delivered = delivered  # False if the bot's intents mean Discord would not send it
        self.id = int(payload["id"])
        self.channel_id = int(payload["channel_id"])
        self._cursor = len(fake.bot_messages)

    async def reply(self, timeout: float | None = None, *, any_channel: bool = False) -> dict:
        """The next message the bot creates (in this channel unless ``any_channel``) after this one."""

        def pred() -> dict | None:
            msgs = self.fake.bot_messages
            for i in range(self._cursor, len(msgs)):
                if any_channel or int(msgs[i]["channel_id"]) == self.channel_id:
                    self._cursor = i + 1
                    return msgs[i]
            return None

        return await self.fake.wait_for(
            pred, timeout, f"a bot reply to message {self.id!r} ({self.payload['content']!r})"
        )

    async def replies(
        self, count: int, timeout: float | None = None, *, any_channel: bool = False
    ) -> list[dict]:
        return [await self.reply(timeout, any_channel=any_channel) for _ in range(count)]


class FakeInteraction:
    """Returned by ``slash``/``autocomplete``/``click``/... : the interaction and what the bot did with it."""

    def __init__(self, fake: FakeDiscord, payload: dict, message: dict | None) -> None:
        self.fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.channel_id = int(payload["channel"]["id"])
        self.guild_id: int | None = int(payload["guild_id"]) if payload.get("guild_id") else None
        self.source_message = message  # stored message a component/modal interaction came from
        self.created_at = time.monotonic()
        self.callbacks: list[dict] = []  # [{"type": int, "data": dict|None}]
        self.original: dict | None = None  # message of the original response (updated in place)
        self.original_edits: list[dict] = []  # PATCH @original bodies
        self.followups: list[dict] = []
        self.modal: dict | None = None  # data of a type-9 callback
        self._published = False

    def __repr__(self) -> str:
        return (
            f"<FakeInteraction id={self.id} type={self.type} callbacks={[c['type'] for c in self.callbacks]}>"
        )

    @property
    def ephemeral(self) -> bool:
        return bool(
            self.callbacks and ((self.callbacks[0].get("data") or {}).get("flags", 0) & FLAG_EPHEMERAL)
        )

    async def response(self, timeout: float | None = None) -> dict:
        """The (first) interaction callback: ``{"type": int, "data": dict | None}``."""
        return await self.fake.wait_for(
            lambda: self.callbacks[0] if self.callbacks else None,
            timeout,
            f"an interaction callback for {self!r}",
        )

    async def message(self, timeout: float | None = None) -> dict:
        """The message the user ends up seeing for this interaction.

        Type 4/7 callbacks: the created/updated message. Type 5/6 (deferred): waits for the
        bot to edit ``@original`` and returns the edited message.
        """
        cb = await self.response(timeout)
        if cb["type"] in (CB_MESSAGE, CB_UPDATE):
            assert self.original is not None
            return self.original
        if cb["type"] in (CB_DEFERRED_MESSAGE, CB_DEFERRED_UPDATE):
            return await self.fake.wait_for(
                lambda: self.original if self.original_edits else None,
                timeout,
                f"an @original edit after deferring {self!r}",
            )
        raise AssertionError(f"interaction callback type {cb['type']} does not produce a message: {cb!r}")

    async def followup(self, index: int = 0, timeout: float | None = None) -> dict:
        return await self.fake.wait_for(
            lambda: self.followups[index] if len(self.followups) > index else None,
            timeout,
            f"followup #{index} for {self!r}",
        )

    async def choices(self, timeout: float | None = None) -> list[dict]:
        """Autocomplete result choices (type 8 callback)."""
        cb = await self.response(timeout)
        if cb["type"] != CB_AUTOCOMPLETE:
            raise AssertionError(f"expected an autocomplete (8) callback, got {cb!r}")
        return list((cb.get("data") or {}).get("choices", []))

    async def modal_shown(self, timeout: float | None = None) -> dict:
        """Data of the modal the bot opened (type 9 callback)."""
        cb = await self.response(timeout)
        if cb["type"] != CB_MODAL:
            raise AssertionError(f"expected a modal (9) callback, got {cb!r}")
        return cb["data"]

    async def submit_modal(
        self, values: dict[str, Any], *, user: Any = None, timeout: float | None = None
    ) -> FakeInteraction:
        modal = await self.modal_shown(timeout)
        return await self.fake.submit_modal(
            values, custom_id=modal["custom_id"], user=user, from_interaction=self
        )


# --------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------


class FakeDiscord:
    def __init__(
        self,
        *,
        bot_name: str = "riderbot",
        guild_name: str = "Rider Test Guild",
        channel_names: Iterable[str] = ("general", "bot-commands", "mod-log"),
        bot_permissions: int = BOT_PERMISSIONS,
        enforce_intents: bool = True,
        echo_bot_messages: bool = True,
        interaction_deadline: float = 3.0,
        default_timeout: float = 2.0,
        heartbeat_interval_ms: int = 41250,
        strict_commands: bool = False,
        shard_count: int = 1,
        upload_limit: int = 10 * 1024 * 1024,
    ) -> None:
        self.shard_count = shard_count
        self.upload_limit = upload_limit  # bytes of files per message; more gets 413 (40005), as on Discord
        self.enforce_intents = enforce_intents
        self.echo_bot_messages = echo_bot_messages
        self.interaction_deadline = interaction_deadline
        self.default_timeout = default_timeout
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.strict_commands = strict_commands

        # --- world --------------------------------------------------------------------
        self.guild_id = make_snowflake()
        self.guild_name = guild_name
        self.guilds: dict[int, str] = {self.guild_id: guild_name}  # id -> name; see add_guild
        self._guild_roles: dict[int, dict[str, dict]] = {}  # roles of the guilds from add_guild
        self._guild_member_roles: dict[int, dict[int, list[str]]] = {}  # guild -> user -> role ids
        self._guild_owners: dict[int, int] = {}  # owners of the guilds from add_guild (default: owner)
        bot_id = make_snowflake()
        self.application_id = bot_id
        self.bot_user: dict = self._make_user(bot_id, bot_name, bot=True)
        self.bot_user.update(verified=True, mfa_enabled=False, flags=0)
        self.users: dict[str, dict] = {"bot": self.bot_user}
        self._users_by_id: dict[int, dict] = {bot_id: self.bot_user}
        self._member_roles: dict[int, list[str]] = {}
        self._member_joined: dict[int, str] = {}

        self.roles: dict[str, dict] = {}
        self._add_role("@everyone", EVERYONE_PERMISSIONS, role_id=self.guild_id, position=0)
        self._add_role("Moderator", MODERATOR_PERMISSIONS, position=1, hoist=True)
        bot_role = self._add_role(bot_name, bot_permissions, position=2, managed=True)
        bot_role["tags"] = {"bot_id": str(bot_id)}

        self.channels: dict[str, dict] = {}
        self._channels_by_id: dict[int, dict] = {}
        self._dm_by_user: dict[int, dict] = {}
        for name in channel_names:
            self.add_channel(name)

        self._member_roles[bot_id] = [bot_role["id"]]
        self._member_joined[bot_id] = _now_iso()
        self.add_user("alice")
        self.add_user("bob")
        self.add_user("mod", roles=["Moderator"])
        self.owner = self.add_user("owner")
        # who owns the application (Bot.is_owner): the owner, unless a test names someone else or a team
        self.application_owner: dict = self.owner
        self.application_team: list[dict] | None = None

        # --- recordings -------------------------------------------------------------------
        self.requests: list[RecordedRequest] = []
        self.unexpected_requests: list[RecordedRequest] = []
        self.internal_errors: list[str] = []
        self.non_loopback_requests: list[str] = []
        self.cdn_requests: list[str] = []
        self.messages: dict[int, dict] = {}
        self.bot_messages: list[dict] = []
        self.edits: list[tuple[int, dict]] = []
        self.deleted_message_ids: list[int] = []
        self.reactions: list[tuple[str, int, int, str]] = []  # (PUT|DELETE, channel_id, message_id, emoji)
        self.typing: list[int] = []
        self.interactions: list[FakeInteraction] = []
        self._interactions_by_token: dict[str, FakeInteraction] = {}
        self.callbacks: list[dict] = []  # {"interaction": FakeInteraction, "type", "data"}
        self.modals: list[tuple[FakeInteraction, dict]] = []
        self.global_commands: list[dict] = []
        self.guild_commands: dict[int, list[dict]] = {}
        self._adhoc_command_ids: dict[tuple[str, int], str] = {}
        self.identifies: list[dict] = []
        self.resumes: list[dict] = []  # {"payload": ..., "accepted": bool}
        self.presence_updates: list[dict] = []
        self.gateway_received: list[dict] = []  # every op the client sent (heartbeats excluded)
        self.dispatched: list[dict] = []  # every DISPATCH frame sent (incl. replays only once)
        self.drops = 0
        self.zombies = 0
        self._resumed_before_drop = 0
        self._faults: list[_Fault] = []
        self._bot_cursor = 0
        self._nonces: dict[tuple[str, str], tuple[float, dict]] = {}
        self.nonce_replays = 0  # sends answered with an earlier message because of their nonce

        # --- runtime ----------------------------------------------------------------------
        self._cond: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        self._sessions: dict[int, _Session] = {}  # shard id -> its session
        self._conns: list[_Conn] = []
        self._saved_patches: tuple | None = None
        self.port: int = 0
        self._routes = self._build_routes()

    # ==================================================================================
    # lifecycle
    # ==================================================================================

    @property
    def _session(self) -> _Session | None:
        """Shard 0's session (the only one for an unsharded bot)."""
        return self._sessions.get(0)

    def shard_of(self, guild_id: Any) -> int:
        """Which shard receives a guild's events: ``(guild_id >> 22) % shard_count``, as Discord does.
        Events without a guild (DMs) go to shard 0."""
        if guild_id is None:
            return 0
        return (int(guild_id) >> 22) % self.shard_count

    def session(self, shard: int = 0) -> _Session | None:
        return self._sessions.get(shard)

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.http_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def cdn_url(self) -> str:
        return f"{self.http_url}/cdn"

    async def start(self) -> FakeDiscord:
        self._cond = asyncio.Condition()
        # aiohttp refuses bodies over 1 MiB by default; Discord takes uploads up to upload_limit (and
        # answers 413 itself over it), plus room for the multipart envelope and the JSON payload
        app = web.Application(client_max_size=self.upload_limit + 1024 * 1024)
        app.router.add_get("/", self._ws_handler)
        app.router.add_route("*", r"/api/v{version:\d+}/{tail:.*}", self._rest_handler)
        app.router.add_get("/cdn/{tail:.*}", self._cdn_handler)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=1001, message=b"fake discord shutting down"), 1.0)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def patch(self) -> None:
        """Point discord.py at this fake (Route.BASE, DEFAULT_GATEWAY, Asset.BASE)."""
        if self._saved_patches is None:
            self._saved_patches = (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
                discord.asset.Asset.BASE,
            )
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        discord.asset.Asset.BASE = self.cdn_url

    def unpatch(self) -> None:
        if self._saved_patches is not None:
            (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
                discord.asset.Asset.BASE,
            ) = self._saved_patches
            self._saved_patches = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        self.patch()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.close()
        finally:
            self.unpatch()

    def loopback_guard(self) -> aiohttp.TraceConfig:
        """An aiohttp TraceConfig (pass as ``http_trace=`` to the client) refusing non-loopback hosts."""
        tc = aiohttp.TraceConfig()

        async def on_request_start(session: Any, ctx: Any, params: Any) -> None:
            host = params.url.host
            if host not in ("127.0.0.1", "localhost", "::1"):
                self.non_loopback_requests.append(str(params.url))
                raise RuntimeError(f"fake_discord: refusing non-loopback request to {params.url}")

        tc.on_request_start.append(on_request_start)
        return tc

    @contextlib.asynccontextmanager
    async def run(
        self,
        client: discord.Client,
        token: str = FAKE_TOKEN,
        *,
        timeout: float = 5.0,
        skip_identify_delay: bool = True,
    ) -> AsyncIterator[discord.Client]:
        """Start ``client`` against the fake, wait until ready, and close it on exit.

        ``skip_identify_delay``: discord.py's default ``Client.before_identify_hook`` sleeps 5 s
        before every non-initial IDENTIFY (after an invalidated session); unless the client class
        overrides that hook, it is replaced by a no-op on this instance.
        """
        if skip_identify_delay and type(client).before_identify_hook is discord.Client.before_identify_hook:

            async def _no_identify_delay(shard_id: int | None, *, initial: bool = False) -> None:
                return None

            client.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
        task = asyncio.create_task(client.start(token), name="fake-discord-client")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                task.result()  # raises the startup error
                raise AssertionError("client.start() returned before the client became ready")
            if ready not in done:
                raise FakeDiscordTimeout(
                    f"client not ready after {timeout}s; requests so far: {self.requests[-15:]!r}"
                )
            yield client
        finally:
            ready.cancel()
            if not client.is_closed():
                await client.close()
            # Errors from start() were surfaced above; don't mask the test's own failure here.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout)

    # ==================================================================================
    # world helpers
    # ==================================================================================

    @staticmethod
    def _make_user(user_id: int, name: str, *, bot: bool = False) -> dict:
        return {
            "id": str(user_id),
            "username": name,
            "discriminator": "0",
            "global_name": None if bot else name.capitalize(),
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    def _add_role(
        self,
        name: str,
        permissions: int,
        *,
        role_id: int | None = None,
        position: int = 0,
        hoist: bool = False,
        managed: bool = False,
    ) -> dict:
        role = self._role_payload(
            name, permissions, role_id=role_id, position=position, hoist=hoist, managed=managed
        )
        self.roles[name] = role
        return role

    @staticmethod
    def _role_payload(
        name: str,
        permissions: int,
        *,
        role_id: int | None = None,
        position: int = 0,
        hoist: bool = False,
        managed: bool = False,
    ) -> dict:
        return {
            "id": str(role_id or make_snowflake()),
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": hoist,
            "icon": None,
            "unicode_emoji": None,
            "position": position,
            "permissions": str(permissions),
            "managed": managed,
            "mentionable": False,
            "flags": 0,
        }

    def add_role(
        self, name: str, permissions: int | discord.Permissions = 0, *, guild: int | None = None
    ) -> dict:
        """Add a role (call before the bot connects, or dispatch GUILD_ROLE_CREATE yourself);
        ``guild``: a guild from ``add_guild`` (its roles are its own; default: the main guild)."""
        if isinstance(permissions, discord.Permissions):
            permissions = permissions.value
        if guild is not None and int(guild) != self.guild_id:
            roles = self._guild_roles[int(guild)]
            role = self._role_payload(name, permissions, position=len(roles))
            roles[name] = role
            return role
        return self._add_role(name, permissions, position=len(self.roles))

    def add_user(
        self,
        name: str,
        *,
        roles: Iterable[Any] = (),
        bot: bool = False,
        in_guild: bool = True,
        user_id: int | None = None,
    ) -> dict:
        """Register a user (and guild member unless ``in_guild=False``); returns the user payload."""
        user = self._make_user(user_id or make_snowflake(), name, bot=bot)
        self.users[name] = user
        self._users_by_id[int(user["id"])] = user
        if in_guild:
            self._member_roles[int(user["id"])] = [self._resolve_role(r)["id"] for r in roles]
            self._member_joined[int(user["id"])] = _now_iso()
        return user

    def add_channel(
        self, name: str, *, type: int = 0, topic: str | None = None, guild: int | None = None
    ) -> dict:
        """Add a guild text channel (before the bot connects; afterwards dispatch CHANNEL_CREATE).
        ``type=15`` is a forum (see ``add_forum``); ``guild`` an id from ``add_guild`` (default: the
        main guild)."""
        cid = make_snowflake()
        ch = {
            "id": str(cid),
            "type": type,
            "guild_id": str(guild or self.guild_id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": [],
            "nsfw": False,
            "topic": topic,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }
        if type == 15:  # a forum: posts are threads; discord.py reads these fields
            ch.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
            )
        self.channels[name] = ch
        self._channels_by_id[cid] = ch
        return ch

    def add_guild(self, name: str, channel_names: Iterable[str] = ("general",), *, owner: Any = None) -> int:
        """Another guild the bot is in (before it connects), with its own ``@everyone`` role and text
        channels named ``"<guild name>/<channel>"`` in ``fake.channels``. Every user is a member (no
        roles until ``set_roles(user, roles, guild=...)``; roles from ``add_role(..., guild=...)``);
        ``owner`` owns it (default: ``fake.owner``). With ``shard_count`` > 1 its events go to shard
        ``(guild_id >> 22) % shard_count``."""
        guild_id = make_snowflake()
        self.guilds[guild_id] = name
        self._guild_member_roles[guild_id] = {}
        self._guild_owners[guild_id] = int(self._resolve_user(owner or self.owner)["id"])
        self._guild_roles[guild_id] = {
            "@everyone": self._role_payload("@everyone", EVERYONE_PERMISSIONS, role_id=guild_id, position=0)
        }
        for channel in channel_names:
            self.add_channel(f"{name}/{channel}", guild=guild_id)
        return guild_id

    def add_forum(self, name: str) -> dict:
        """A forum channel in the main guild; people post in it with ``create_post``."""
        return self.add_channel(name, type=15)

    async def create_post(
        self, forum: Any, title: str, content: str, *, author: Any = "alice"
    ) -> MessageExchange:
        """A member opens a post in a forum: THREAD_CREATE for the new thread (channel type 11 whose
        ``parent_id`` is the forum), then MESSAGE_CREATE for its first message. Later messages in the
        post: ``send_message(..., channel=<the thread's name or id>)``; the thread is named ``title``."""
        parent = self._resolve_channel(forum)
        user = self._resolve_user(author)
        tid = make_snowflake()
        thread = {
            "id": str(tid),
            "type": 11,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": user["id"],
            "name": title,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "flags": 0,
            "applied_tags": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": 1440,
                "archive_timestamp": _now_iso(),
                "locked": False,
                "create_timestamp": _now_iso(),
            },
        }
        self.channels[title] = thread
        self._channels_by_id[tid] = thread
        await self.dispatch("THREAD_CREATE", {**_clone(thread), "newly_created": True})
        return await self.send_message(content, author=user, channel=thread)

    def guild_of(self, channel: Any) -> int | None:
        """The guild a channel belongs to (None for a DM)."""
        gid = self._resolve_channel(channel).get("guild_id")
        return int(gid) if gid else None

    def channel_id(self, channel: Any) -> int:
        return int(self._resolve_channel(channel)["id"])

    def user_id(self, user: Any) -> int:
        return int(self._resolve_user(user)["id"])

    def _resolve_user(self, ref: Any) -> dict:
        return _resolve(ref, self.users, self._users_by_id, "user")

    def _resolve_channel(self, ref: Any) -> dict:
        return _resolve(ref, self.channels, self._channels_by_id, "channel")

    def _resolve_role(self, ref: Any, guild: int | None = None) -> dict:
        if isinstance(ref, dict):
            return ref
        if hasattr(ref, "id") and not isinstance(ref, (str, int)):
            ref = ref.id
        roles = self._roles_of(guild)
        if isinstance(ref, str) and ref in roles:
            return roles[ref]
        for role in roles.values():
            if str(role["id"]) == str(ref):
                return role
        raise KeyError(f"unknown role {ref!r}; known: {sorted(roles)}")

    def _roles_of(self, guild: Any) -> dict[str, dict]:
        if guild is None or int(guild) == self.guild_id:
            return self.roles
        return self._guild_roles[int(guild)]

    def guild_owner(self, guild: Any = None) -> int:
        """The id of a guild's owner."""
        if guild is None or int(guild) == self.guild_id:
            return int(self.owner["id"])
        return self._guild_owners[int(guild)]

    def is_member(self, user: Any) -> bool:
        return int(self._resolve_user(user)["id"]) in self._member_roles

    def member_permissions(self, user: Any, guild: Any = None) -> int:
        """Guild-level permissions of a member in the main guild or ``guild`` (owner /
        administrator -> all)."""
        uid = int(self._resolve_user(user)["id"])
        if uid == self.guild_owner(guild):
            return ALL_PERMISSIONS
        roles = self._roles_of(guild)
        perms = int(roles["@everyone"]["permissions"])
        for rid in self._member_role_ids(uid, guild):
            perms |= int(self._resolve_role(rid, guild)["permissions"])
        if perms & _P.administrator.flag:
            return ALL_PERMISSIONS
        return perms

    def _member_role_ids(self, uid: int, guild: Any) -> list[str]:
        if guild is None or int(guild) == self.guild_id:
            return self._member_roles.get(uid, [])
        return self._guild_member_roles.get(int(guild), {}).get(uid, [])

    def set_roles(self, user: Any, roles: Iterable[Any], *, guild: Any = None) -> None:
        """A member's roles in the main guild, or in ``guild`` (one from ``add_guild``)."""
        if guild is not None and int(guild) != self.guild_id:
            ids = [self._resolve_role(r, guild)["id"] for r in roles]
            self._guild_member_roles[int(guild)][self.user_id(user)] = ids
            return
        self._member_roles[self.user_id(user)] = [self._resolve_role(r)["id"] for r in roles]

    def user_payload(self, user: Any) -> dict:
        return _clone(self._resolve_user(user))

    def member_payload(
        self, user: Any, *, with_user: bool = True, permissions: int | None = None, guild: Any = None
    ) -> dict:
        u = self._resolve_user(user)
        uid = int(u["id"])
        member = {
            "roles": list(self._member_role_ids(uid, guild)),
            "joined_at": self._member_joined.get(uid, _now_iso()),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "nick": None,
            "avatar": None,
            "banner": None,
            "flags": 0,
            "communication_disabled_until": None,
            "permissions": str(
                self.member_permissions(u, guild) if permissions is None else int(permissions)
            ),
        }
        if with_user:
            member["user"] = _clone(u)
        return member

    def dm_channel(self, user: Any) -> dict:
        u = self._resolve_user(user)
        uid = int(u["id"])
        ch = self._dm_by_user.get(uid)
        if ch is None:
            cid = make_snowflake()
            ch = {
                "id": str(cid),
                "type": 1,
                "recipients": [_clone(u)],
                "last_message_id": None,
                "flags": 0,
            }
            self._dm_by_user[uid] = ch
            self._channels_by_id[cid] = ch
        return ch

    def guild_payload(self, guild_id: int | None = None) -> dict:
        gid = int(guild_id or self.guild_id)
        members = [self.member_payload(uid, permissions=None, guild=gid) for uid in self._member_roles]
        for m in members:
            m.pop("permissions", None)  # GUILD_CREATE members don't carry permissions
        roles = self.roles if gid == self.guild_id else self._guild_roles[gid]
        channels = [
            c for c in self.channels.values() if c.get("guild_id") == str(gid) and c.get("type") != 11
        ]
        threads = [c for c in self.channels.values() if c.get("guild_id") == str(gid) and c.get("type") == 11]
        return {
            "id": str(gid),
            "name": self.guilds[gid],
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.guild_owner(gid)),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": channels[0]["id"] if channels else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": _clone(list(roles.values())),
            "joined_at": self._member_joined[self.application_id],
            "large": False,
            "unavailable": False,
            "member_count": len(members),
            "members": members,
            "channels": _clone(channels),
            "threads": _clone(threads),
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _team_payload(self) -> dict | None:
        if not self.application_team:
            return None
        team_id = str(self.application_id + 1)
        return {
            "id": team_id,
            "name": "fake team",
            "icon": None,
            "owner_user_id": self.application_team[0]["id"],
            "members": [
                {
                    "user": _clone(member),
                    "team_id": team_id,
                    "membership_state": 2,
                    "permissions": ["*"],
                    "role": "admin",
                }
                for member in self.application_team
            ],
        }

    def application_payload(self) -> dict:
        return {
            "id": str(self.application_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "fake application",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": _clone(self.application_owner),
            "team": self._team_payload(),
            "bot": _clone(self.bot_user),
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
        }

    # ==================================================================================
    # waiting
    # ==================================================================================

    async def _changed(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float | None = None, description: str = "condition"
    ) -> Any:
        """Wait until ``predicate()`` returns something other than None/False; returns it.

        Re-evaluated whenever the fake records something (request, gateway op, connection change)
        and, so predicates may also look at bot-side state, at least every 50 ms.
        """
        assert self._cond is not None, "FakeDiscord not started"
        timeout = self.default_timeout if timeout is None else timeout
        cond = self._cond

        async def _wait() -> Any:
            async with cond:
                while True:
                    result = predicate()
                    if result is not None and result is not False:
                        return result
                    try:
                        await asyncio.wait_for(cond.wait(), 0.05)
                    except TimeoutError:
                        pass

        try:
            return await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            recent = "\n  ".join(repr(r) for r in self.requests[-12:])
            errors = (
                ("\ninternal fake errors:\n" + "\n".join(self.internal_errors))
                if self.internal_errors
                else ""
            )
            raise FakeDiscordTimeout(
                f"timed out after {timeout}s waiting for {description}\nrecent requests:\n  {recent}{errors}"
            ) from None

    async def next_bot_message(self, timeout: float | None = None, *, channel: Any = None) -> dict:
        """Next bot-created message not yet returned by this method (fake-wide cursor)."""
        cid = self.channel_id(channel) if channel is not None else None

        def pred() -> dict | None:
            for i in range(self._bot_cursor, len(self.bot_messages)):
                m = self.bot_messages[i]
                if cid is None or int(m["channel_id"]) == cid:
                    self._bot_cursor = i + 1
                    return m
            return None

        return await self.wait_for(pred, timeout, "the next bot message")

    async def assert_no_bot_message(self, within: float = 0.2, *, channel: Any = None) -> None:
        """Assert that the bot creates no message (beyond those already seen) for ``within`` seconds."""
        start = len(self.bot_messages)
        await asyncio.sleep(within)
        cid = self.channel_id(channel) if channel is not None else None
        extra = [m for m in self.bot_messages[start:] if cid is None or int(m["channel_id"]) == cid]
        assert not extra, f"unexpected bot messages: {[m.get('content') for m in extra]!r}"

    async def wait_for_request(
        self, method: str, path: str, timeout: float | None = None, *, after: int = 0
    ) -> RecordedRequest:
        """First completed request (index >= ``after``) matching method and path pattern."""
        rx = _path_regex(path)
        return await self.wait_for(
            lambda: next(
                (
                    r
                    for r in self.requests[after:]
                    if r.status and r.method == method.upper() and rx.match(r.path)
                ),
                None,
            ),
            timeout,
            f"request {method} {path}",
        )

    def requests_matching(self, method: str, path: str) -> list[RecordedRequest]:
        rx = _path_regex(path)
        return [r for r in self.requests if r.method == method.upper() and rx.match(r.path)]

    def assert_no_unexpected_requests(self) -> None:
        assert not self.internal_errors, "fake_discord internal errors:\n" + "\n".join(self.internal_errors)
        assert not self.unexpected_requests, f"bot called unknown routes: {self.unexpected_requests!r}"
        assert not self.non_loopback_requests, f"non-loopback requests: {self.non_loopback_requests!r}"

    async def wait_until_connected(self, timeout: float | None = None) -> None:
        """Until every shard (just one unless ``shard_count`` > 1) has a live, identified session."""
        await self.wait_for(
            lambda: all(
                (x := self._sessions.get(shard)) is not None and x.conn is not None
                for shard in range(self.shard_count)
            ),
            timeout,
            f"a live gateway session on each of {self.shard_count} shard(s)",
        )

    async def wait_for_resume(self, timeout: float | None = None) -> dict:
        """Wait for an accepted RESUME after the last ``drop_connection``; returns its payload."""
        floor = self._resumed_before_drop

        def pred() -> dict | None:
            accepted = [r for r in self.resumes if r["accepted"]]
            return accepted[-1]["payload"] if len(accepted) > floor else None

        return await self.wait_for(pred, timeout, "a RESUME")

    # ==================================================================================
    # fault injection
    # ==================================================================================

    def rate_limit_next(
        self,
        method: str,
        path: str,
        *,
        retry_after: float = 0.05,
        count: int = 1,
        is_global: bool = False,
        scope: str = "user",
    ) -> None:
        """Next ``count`` requests matching method + path pattern get a well-formed 429."""

        def build() -> web.Response:
            body = {
                "message": "You are being rate limited.",
                "retry_after": retry_after,
                "global": is_global,
                "code": 0,
            }
            headers = {
                **JSON_CT,
                "Via": "1.1 google",  # without it discord.py assumes a Cloudflare ban and raises
                "Retry-After": str(max(1, int(retry_after + 0.999))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Bucket": "fake" + secrets.token_hex(8),
                "X-RateLimit-Scope": "global" if is_global else scope,
            }
            if is_global:
                headers["X-RateLimit-Global"] = "true"
            return web.Response(status=429, body=json.dumps(body).encode(), headers=headers)

        self._faults.append(_Fault(method.upper(), _path_regex(path), count, build, f"429 {method} {path}"))

    def fail_next(
        self,
        method: str,
        path: str,
        *,
        status: int = 403,
        code: int = 50013,
        message: str = "Missing Permissions",
        count: int = 1,
        after_handling: bool = False,
    ) -> None:
        """Next ``count`` matching requests fail with ``status`` and a Discord-style JSON error.

        ``after_handling=True``: the request is handled first (a message IS created) and only the
        response is replaced, as when Discord answers 500 after doing the work: discord.py retries a
        500/502/504 (after 1 s), and only the ``nonce`` + ``enforce_nonce`` it sends keep the retry from
        posting a duplicate (this fake, like Discord, returns the first message for a repeated nonce)."""

        def build() -> web.Response:
            return self._error(status, code, message)

        when = " after handling" if after_handling else ""
        self._faults.append(
            _Fault(
                method.upper(),
                _path_regex(path),
                count,
                build,
                f"{status} {method} {path}{when}",
                after=after_handling,
            )
        )

    def fail_after_next(self, method: str, path: str, *, status: int = 500, count: int = 1) -> None:
        """Shortcut: handle the next matching request, then answer ``status`` (default 500)."""
        self.fail_next(
            method,
            path,
            status=status,
            code=0,
            message=f"{status}: Internal Server Error",
            count=count,
            after_handling=True,
        )

    def delay_next(self, method: str, path: str, seconds: float, *, count: int = 1) -> None:
        """Next ``count`` matching requests wait ``seconds`` before they are handled (then as usual:
        an interaction callback delayed past ``interaction_deadline`` gets 404 Unknown interaction)."""
        self._faults.append(
            _Fault(
                method.upper(),
                _path_regex(path),
                count,
                None,
                f"delay {seconds}s {method} {path}",
                delay=seconds,
            )
        )

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.count > 0 and fault.method == method and fault.regex.match(path):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ==================================================================================
    # gateway
    # ==================================================================================

    async def _ws_send(self, conn: _Conn, payload: dict) -> bool:
        try:
            await conn.ws.send_str(json.dumps(payload, separators=(",", ":")))
            return True
        except (ConnectionResetError, RuntimeError, aiohttp.ClientConnectionError):
            return False

    async def _ws_handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=1.0, max_msg_size=0)
        await ws.prepare(request)
        conn = _Conn(ws, request)
        self._conns.append(conn)
        try:
            await self._ws_send(
                conn,
                {
                    "op": OP_HELLO,
                    "d": {"heartbeat_interval": self.heartbeat_interval_ms},
                    "s": None,
                    "t": None,
                },
            )
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    try:
                        await self._on_gateway_message(conn, json.loads(msg.data))
                    except Exception:
                        self.internal_errors.append(traceback.format_exc())
                elif msg.type == aiohttp.WSMsgType.ERROR:
                    break
        finally:
            if conn in self._conns:
                self._conns.remove(conn)
            for session in self._sessions.values():
                if session.conn is conn:
                    session.conn = None
            if self._cond is not None:
                await self._changed()
        return ws

    async def _on_gateway_message(self, conn: _Conn, msg: dict) -> None:
        op: Any = msg.get("op")
        d: Any = msg.get("d")
        if op == OP_HEARTBEAT:
            conn.heartbeats += 1
            if not conn.silent:
                conn.acks += 1
                await self._ws_send(conn, {"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            return
        self.gateway_received.append(msg)
        if conn.silent:
            return
        if op == OP_IDENTIFY:
            self.identifies.append(d)
            await self._identify(conn, d)
        elif op == OP_RESUME:
            await self._resume(conn, d)
        elif op == OP_PRESENCE:
            self.presence_updates.append(d)
        elif op == OP_REQUEST_MEMBERS:
            members = [self.member_payload(uid) for uid in self._member_roles]
            user_ids = d.get("user_ids")
            if user_ids:
                wanted = {str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
                members = [m for m in members if m["user"]["id"] in wanted]
            elif d.get("query"):
                members = [m for m in members if m["user"]["username"].startswith(d["query"])]
            for m in members:
                m.pop("permissions", None)
            await self.dispatch(
                "GUILD_MEMBERS_CHUNK",
                {
                    "guild_id": str(d["guild_id"]),
                    "members": members,
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "nonce": d.get("nonce"),
                    "not_found": [],
                },
            )
        await self._changed()

    async def _identify(self, conn: _Conn, d: dict) -> None:
        shard_id, shard_count = (d.get("shard") or [0, 1])[:2]
        if shard_count != self.shard_count or not 0 <= shard_id < shard_count:
            # Discord: 4011 Sharding required (too few shards), 4010 Invalid shard
            code = 4011 if shard_count < self.shard_count else 4010
            await conn.ws.close(code=code, message=b"sharding required" if code == 4011 else b"invalid shard")
            return
        conn.shard = (shard_id, shard_count)
        session = _Session(secrets.token_hex(16), int(d.get("intents") or 0), d.get("token", ""), shard_id)
        self._sessions[shard_id] = session
        session.conn = conn
        guilds = [g for g in self.guilds if self.shard_of(g) == shard_id]
        await self._dispatch_to(
            session,
            "READY",
            {
                "v": 10,
                "user": _clone(self.bot_user),
                "application": {"id": str(self.application_id), "flags": 0},
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "guild_join_requests": [],
                "shard": [shard_id, shard_count],
                "_trace": ["fake-discord"],
            },
        )
        for guild_id in guilds:
            await self._dispatch_to(session, "GUILD_CREATE", self.guild_payload(guild_id))

    async def _resume(self, conn: _Conn, d: dict) -> None:
        session = next((x for x in self._sessions.values() if x.session_id == d.get("session_id")), None)
        ok = session is not None
        self.resumes.append({"payload": d, "accepted": ok})
        if not ok:
            await self._ws_send(conn, {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        assert session is not None
        # replay everything the client missed (keeps going if events arrive while replaying)
        last = d.get("seq") or 0
        i = next((n for n, f in enumerate(session.events) if f["s"] > last), len(session.events))
        while i < len(session.events):
            await self._ws_send(conn, session.events[i])
            i += 1
        session.conn = conn
        session.seq += 1
        await self._ws_send(
            conn, {"op": OP_DISPATCH, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["fake-discord"]}}
        )

    async def dispatch(self, event: str, data: dict, *, shard: int | None = None) -> int:
        """Send a DISPATCH event to the bot (buffered and replayed on RESUME if the bot is reconnecting).
        It goes to the shard of ``data["guild_id"]`` (shard 0 without one) unless ``shard`` is given."""
        if shard is None:
            shard = self.shard_of(data.get("guild_id") if isinstance(data, dict) else None)
        session = self._sessions.get(shard)
        if session is None:
            raise RuntimeError(
                f"fake_discord: shard {shard} has not IDENTIFYed yet (is the bot running / ready?)"
            )
        return await self._dispatch_to(session, event, data)

    async def _dispatch_to(self, session: _Session, event: str, data: dict) -> int:
        session.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.events.append(frame)
        if len(session.events) > 2000:
            del session.events[:1000]
        self.dispatched.append(frame)
        if session.conn is not None and not session.conn.silent:
            await self._ws_send(session.conn, frame)
        return session.seq

    async def drop_connection(self, code: int = 4000, *, abrupt: bool = False, shard: int = 0) -> None:
        """Kill the live gateway connection; discord.py will reconnect and RESUME."""
        session = self._sessions.get(shard)
        if session is None or session.conn is None:
            raise RuntimeError("fake_discord: no live gateway connection to drop")
        conn = session.conn
        session.conn = None  # events dispatched from now on are buffered for replay
        self.drops += 1
        self._resumed_before_drop = sum(1 for r in self.resumes if r["accepted"])
        if abrupt:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(code=code, message=b"fake drop"), 2.0)

    async def send_reconnect(self, *, shard: int = 0) -> None:
        """Send op 7 RECONNECT; the client closes and RESUMEs."""
        session = self._sessions.get(shard)
        if session is None or session.conn is None:
            raise RuntimeError("fake_discord: no live gateway connection")
        self.drops += 1
        self._resumed_before_drop = sum(1 for r in self.resumes if r["accepted"])
        conn, session.conn = session.conn, None
        await self._ws_send(conn, {"op": OP_RECONNECT, "d": None, "s": None, "t": None})

    async def invalidate_session(self, resumable: bool = False, *, shard: int = 0) -> None:
        """Send op 9 INVALID_SESSION; with resumable=False the client re-IDENTIFYs."""
        session = self._sessions.get(shard)
        if session is None or session.conn is None:
            raise RuntimeError("fake_discord: no live gateway connection")
        conn = session.conn
        if not resumable:
            session.session_id = "invalidated-" + session.session_id
        session.conn = None
        await self._ws_send(conn, {"op": OP_INVALID_SESSION, "d": resumable, "s": None, "t": None})

    def zombie(self, *, shard: int = 0) -> None:
        """Turn the live connection into a zombie: the socket stays open, but nothing is delivered
        (events are kept for the RESUME) and heartbeats get no ACK. discord.py notices only when its
        ``heartbeat_timeout`` (60 s) passes, closes the socket and RESUMEs on a fresh, healthy one."""
        session = self._sessions.get(shard)
        if session is None or session.conn is None:
            raise RuntimeError("fake_discord: no live gateway connection")
        session.conn.silent = True
        self.zombies += 1

    def wake(self, *, shard: int = 0) -> None:
        """Undo ``zombie``: ACK heartbeats again and deliver new events (missed ones come on RESUME)."""
        session = self._sessions.get(shard)
        if session is not None and session.conn is not None:
            session.conn.silent = False

    @property
    def heartbeat_acks(self) -> int:
        """ACKs sent on the live connections so far."""
        return sum(c.acks for c in self._conns)

    # ==================================================================================
    # user-side actions
    # ==================================================================================

    def _visible_to_bot(self, msg: dict) -> tuple[bool, dict]:
        """Apply intent rules: (delivered?, payload as the bot would receive it)."""
        session = self._sessions.get(self.shard_of(msg.get("guild_id")))
        if not self.enforce_intents or session is None:
            return True, msg
        intents = session.intents
        is_dm = "guild_id" not in msg
        if not intents & (INTENT_DIRECT_MESSAGES if is_dm else INTENT_GUILD_MESSAGES):
            return False, msg
        bot_id = str(self.application_id)
        privileged_ok = (
            intents & INTENT_MESSAGE_CONTENT
            or is_dm
            or msg["author"]["id"] == bot_id
            or any(m["id"] == bot_id for m in msg.get("mentions", []))
        )
        if privileged_ok:
            return True, msg
        blanked = dict(msg, content="", embeds=[], attachments=[], components=[])
        blanked.pop("poll", None)
        return True, blanked

    def _mentions_from_content(self, content: str, in_guild: bool) -> list[dict]:
        out = []
        for uid in dict.fromkeys(re.findall(r"<@!?(\d+)>", content or "")):
            u = self._users_by_id.get(int(uid))
            if u is not None:
                out.append(self._mention_payload(u, in_guild))
        return out

    def _mention_payload(self, user: Any, in_guild: bool) -> dict:
        u = _clone(self._resolve_user(user))
        if in_guild and self.is_member(u):
            u["member"] = self.member_payload(u, with_user=False)
            u["member"].pop("permissions", None)
        return u

    async def send_message(
        self,
        content: str = "",
        *,
        author: Any = "alice",
        channel: Any = "general",
        dm: bool = False,
        mentions: Iterable[Any] = (),
        mention_roles: Iterable[Any] = (),
        embeds: Iterable[dict] = (),
        attachments: Iterable[dict] = (),
        reference: Any = None,
    ) -> MessageExchange:
        """A user posts a message; emits MESSAGE_CREATE (guild with ``member``, or DM without guild_id).

        ``mentions`` adds users to the mention list (``"bot"`` for the bot); ``<@id>`` in ``content``
        is resolved automatically. ``attachments``: dicts with at least ``filename``.
        """
        user = self._resolve_user(author)
        in_guild = not dm
        ch = self.dm_channel(user) if dm else self._resolve_channel(channel)
        mention_list = self._mentions_from_content(content, in_guild)
        seen = {m["id"] for m in mention_list}
        for m in mentions:
            p = self._mention_payload(m, in_guild)
            if p["id"] not in seen:
                mention_list.append(p)
                seen.add(p["id"])
        mid = make_snowflake()
        msg: dict = {
            "id": str(mid),
            "channel_id": ch["id"],
            "author": _clone(user),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": "@everyone" in content or "@here" in content,
            "mentions": mention_list,
            "mention_roles": [self._resolve_role(r)["id"] for r in mention_roles],
            "attachments": [
                self._attachment_payload(ch["id"], a.get("filename", "file.bin"), a.get("size", 0), a)
                for a in attachments
            ],
            "embeds": list(embeds),
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if in_guild:
            msg["guild_id"] = ch["guild_id"]
            member = self.member_payload(user, with_user=False, guild=ch["guild_id"])
            member.pop("permissions", None)
            msg["member"] = member
        if reference is not None:
            ref_id = int(reference["id"]) if isinstance(reference, dict) else int(reference)
            msg["type"] = 19
            msg["message_reference"] = {"type": 0, "message_id": str(ref_id), "channel_id": ch["id"]}
            if in_guild:
                msg["message_reference"]["guild_id"] = ch["guild_id"]
            ref = self.messages.get(ref_id)
            msg["referenced_message"] = self._strip_ref(ref) if ref else None
        self.messages[mid] = msg
        ch["last_message_id"] = str(mid)
        ex = MessageExchange(self, msg, delivered=False)
        delivered, visible = self._visible_to_bot(msg)
        ex.delivered = delivered
        if delivered:
            await self.dispatch("MESSAGE_CREATE", _clone(visible))
        await self._changed()
        return ex

    # ---- interactions -----------------------------------------------------------------

    def _find_command(self, name: str, ctype: int, guild: bool) -> tuple[dict | None, int | None]:
        if guild:
            for cmd in self.guild_commands.get(self.guild_id, []):
                if cmd["name"] == name and cmd.get("type", 1) == ctype:
                    return cmd, self.guild_id
        for cmd in self.global_commands:
            if cmd["name"] == name and cmd.get("type", 1) == ctype:
                return cmd, None
        return None, None

    def _command_data(self, name: str, ctype: int, guild: bool) -> tuple[dict, dict | None]:
        cmd, cmd_guild = self._find_command(name, ctype, guild)
        if cmd is None:
            if self.strict_commands:
                raise LookupError(
                    f"command {name!r} (type {ctype}) was never synced; synced: "
                    f"{[c['name'] for c in self.global_commands]} / {self.guild_commands}"
                )
            cid = self._adhoc_command_ids.setdefault((name, ctype), _sf())
        else:
            cid = cmd["id"]
        data: dict = {"id": cid, "name": name, "type": ctype}
        if cmd_guild is not None:
            data["guild_id"] = str(cmd_guild)
        return data, cmd

    @staticmethod
    def _infer_option_type(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        if isinstance(value, float):
            return 10
        return 3

    def _option_value(self, otype: int, value: Any, resolved: dict, in_guild: bool) -> Any:
        """Turn a friendly value into the wire value, filling ``resolved`` for snowflake types."""
        if otype in (6, 9) and not (otype == 9 and self._is_role_ref(value)):
            u = self._resolve_user(value)
            resolved.setdefault("users", {})[u["id"]] = _clone(u)
            if in_guild and self.is_member(u):
                resolved.setdefault("members", {})[u["id"]] = self.member_payload(u, with_user=False)
            return u["id"]
        if otype in (8, 9):
            r = self._resolve_role(value)
            resolved.setdefault("roles", {})[r["id"]] = _clone(r)
            return r["id"]
        if otype == 7:
            c = self._resolve_channel(value)
            entry = {
                k: c.get(k)
                for k in ("id", "name", "type", "topic", "position", "parent_id", "nsfw", "guild_id")
            }
            entry["permissions"] = str(ALL_PERMISSIONS)
            resolved.setdefault("channels", {})[c["id"]] = entry
            return c["id"]
        if otype == 11:
            att = value if isinstance(value, dict) else {"filename": str(value)}
            payload = self._attachment_payload(
                "0", str(att.get("filename", "file.bin")), int(att.get("size", 0)), att
            )
            resolved.setdefault("attachments", {})[payload["id"]] = payload
            return payload["id"]
        return value

    def _is_role_ref(self, value: Any) -> bool:
        try:
            self._resolve_role(value)
            return True
        except KeyError:
            return False

    def _build_options(
        self, cmd: dict | None, path: list[str], options: Any, focused: str | None, in_guild: bool
    ) -> tuple[list[dict], dict]:
        resolved: dict = {}
        defs = (cmd or {}).get("options", []) or []
        for part in path:  # walk group / subcommand definitions
            sub = next((o for o in defs if o.get("name") == part and o.get("type") in (1, 2)), None)
            defs = (sub or {}).get("options", []) or []
        if options is None:
            built: list[dict] = []
        elif isinstance(options, list):  # raw option dicts, passed through
            built = _clone(options)
        else:
            built = []
            for name, value in options.items():
                odef = next((o for o in defs if o.get("name") == name), None)
                otype = odef["type"] if odef else self._infer_option_type(value)
                if focused == name:
                    wire = value if isinstance(value, (str, int, float)) else str(value)
                    built.append({"name": name, "type": otype, "value": wire, "focused": True})
                else:
                    built.append(
                        {
                            "name": name,
                            "type": otype,
                            "value": self._option_value(otype, value, resolved, in_guild),
                        }
                    )
        for depth, part in reversed(list(enumerate(path))):
            built = [{"name": part, "type": 2 if depth < len(path) - 1 else 1, "options": built}]
        return built, resolved

    def _new_interaction(
        self,
        itype: int,
        data: dict | None,
        *,
        user: Any,
        channel: Any,
        dm: bool,
        message: dict | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        u = self._resolve_user(user)
        ch = self.dm_channel(u) if dm else self._resolve_channel(channel)
        in_guild = not dm and ch.get("type") != 1
        payload: dict = {
            "id": _sf(),
            "application_id": str(self.application_id),
            "type": itype,
            "token": "fake-itoken-" + secrets.token_hex(24),
            "version": 1,
            "locale": locale,
            "app_permissions": str(self.member_permissions(self.bot_user) if in_guild else BOT_PERMISSIONS),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.upload_limit,
            "channel": _clone(ch),
            "channel_id": ch["id"],
        }
        if data is not None:
            payload["data"] = data
        if in_guild:
            gid = ch["guild_id"]
            payload.update(
                guild_id=gid,
                guild={"id": gid, "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=self.member_payload(u, permissions=permissions, guild=gid),
                authorizing_integration_owners={"0": gid},
                context=0,
            )
        else:
            payload.update(user=_clone(u), authorizing_integration_owners={"1": u["id"]}, context=1)
        if message is not None:
            payload["message"] = _clone(message)
        handle = FakeInteraction(self, payload, message)
        self.interactions.append(handle)
        self._interactions_by_token[handle.token] = handle
        return handle

    async def _send_interaction(self, handle: FakeInteraction) -> FakeInteraction:
        await self.dispatch("INTERACTION_CREATE", _clone(handle.payload))
        await self._changed()
        return handle

    def _split_command(self, name: str, subcommand: str | None) -> tuple[str, list[str]]:
        parts = name.split() + (subcommand.split() if subcommand else [])
        return parts[0], parts[1:]

    async def slash(
        self,
        name: str,
        options: dict[str, Any] | list[dict] | None = None,
        *,
        user: Any = "alice",
        channel: Any = "general",
        subcommand: str | None = None,
        dm: bool = False,
        permissions: int | None = None,
        locale: str = "en-US",
    ) -> FakeInteraction:
        """Invoke a slash command: INTERACTION_CREATE type 2 (APPLICATION_COMMAND).

        ``name`` may contain the subcommand path ("config set"), or pass ``subcommand="set"`` /
        ``"group sub"``. ``options`` is ``{name: value}``; option types come from the synced
        command definition (else inferred). User/role/channel options accept names/ids and
        get ``resolved`` data. ``permissions`` overrides the member's permission bits.
        """
        root, path = self._split_command(name, subcommand)
        data, cmd = self._command_data(root, 1, not dm)
        opts, resolved = self._build_options(cmd, path, options, None, not dm)
        if opts:
            data["options"] = opts
        if resolved:
            data["resolved"] = resolved
        handle = self._new_interaction(
            IT_COMMAND, data, user=user, channel=channel, dm=dm, permissions=permissions, locale=locale
        )
        return await self._send_interaction(handle)

    async def autocomplete(
        self,
        name: str,
        options: dict[str, Any],
        *,
        focused: str | None = None,
        user: Any = "alice",
        channel: Any = "general",
        subcommand: str | None = None,
        dm: bool = False,
        permissions: int | None = None,
    ) -> FakeInteraction:
        """APPLICATION_COMMAND_AUTOCOMPLETE (type 4); ``focused`` defaults to the last option given."""
        root, path = self._split_command(name, subcommand)
        if focused is None:
            focused = list(options)[-1]
        data, cmd = self._command_data(root, 1, not dm)
        data["options"], _ = self._build_options(cmd, path, options, focused, not dm)
        handle = self._new_interaction(
            IT_AUTOCOMPLETE, data, user=user, channel=channel, dm=dm, permissions=permissions
        )
        return await self._send_interaction(handle)

    async def message_command(
        self, name: str, target: Any, *, user: Any = "alice", permissions: int | None = None
    ) -> FakeInteraction:
        """Message context-menu command (type 2 interaction, ``data.type`` 3, ``resolved.messages``)."""
        msg = self._lookup_message(target)
        in_guild = "guild_id" in msg
        data, _ = self._command_data(name, 3, in_guild)
        data["target_id"] = msg["id"]
        data["resolved"] = {"messages": {msg["id"]: _clone(msg)}}
        handle = self._new_interaction(
            IT_COMMAND,
            data,
            user=user,
            channel=msg["channel_id"] if in_guild else None,
            dm=not in_guild,
            permissions=permissions,
        )
        return await self._send_interaction(handle)

    async def user_command(
        self,
        name: str,
        target: Any,
        *,
        user: Any = "alice",
        channel: Any = "general",
        permissions: int | None = None,
    ) -> FakeInteraction:
        """User context-menu command (``data.type`` 2, ``resolved.users``/``members``)."""
        data, _ = self._command_data(name, 2, True)
        resolved: dict = {}
        data["target_id"] = self._option_value(6, target, resolved, True)
        data["resolved"] = resolved
        handle = self._new_interaction(
            IT_COMMAND, data, user=user, channel=channel, dm=False, permissions=permissions
        )
        return await self._send_interaction(handle)

    def _lookup_message(self, ref: Any) -> dict:
        if isinstance(ref, dict):
            return self.messages.get(int(ref["id"]), ref)
        if hasattr(ref, "id") and not isinstance(ref, (str, int)):
            ref = ref.id
        try:
            return self.messages[int(ref)]
        except (KeyError, ValueError, TypeError):
            raise KeyError(f"unknown message {ref!r}") from None

    def find_message_with_component(self, custom_id: str) -> dict:
        """Most recent (non-deleted) bot message having a component with ``custom_id``."""
        for msg in reversed(self.bot_messages):
            if int(msg["id"]) in self.deleted_message_ids:
                continue
            if any(c.get("custom_id") == custom_id for c in _walk_components(msg.get("components", []))):
                return msg
        raise LookupError(f"no bot message has a component with custom_id {custom_id!r}")

    async def click(
        self,
        custom_id: str,
        *,
        message: Any = None,
        user: Any = "alice",
        component_type: int = 2,
        values: list[str] | None = None,
        permissions: int | None = None,
    ) -> FakeInteraction:
        """MESSAGE_COMPONENT interaction (type 3). ``message`` defaults to the latest bot message
        carrying that custom_id. Use ``component_type=3`` + ``values`` for string selects."""
        msg = (
            self._lookup_message(message)
            if message is not None
            else self.find_message_with_component(custom_id)
        )
        data: dict = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        in_guild = "guild_id" in msg
        u = self._resolve_user(user)
        channel = msg["channel_id"] if in_guild else None
        handle = self._new_interaction(
            IT_COMPONENT, data, user=u, channel=channel, dm=not in_guild, message=msg, permissions=permissions
        )
        return await self._send_interaction(handle)

    async def select(self, custom_id: str, values: list[str], **kwargs: Any) -> FakeInteraction:
        """String select shortcut for ``click(custom_id, component_type=3, values=values)``."""
        return await self.click(custom_id, component_type=3, values=values, **kwargs)

    async def submit_modal(
        self,
        values: dict[str, Any],
        *,
        custom_id: str | None = None,
        user: Any = None,
        from_interaction: FakeInteraction | None = None,
    ) -> FakeInteraction:
        """MODAL_SUBMIT (type 5) for the last modal the bot opened (or ``custom_id`` / ``from_interaction``).

        ``values`` maps input custom_id -> value (str for text inputs, list for selects).
        """
        source: FakeInteraction | None = from_interaction
        modal: dict | None = from_interaction.modal if from_interaction else None
        if modal is None:
            for inter, mdata in reversed(self.modals):
                if custom_id is None or mdata.get("custom_id") == custom_id:
                    source, modal = inter, mdata
                    break
        if modal is None:
            if custom_id is None:
                raise LookupError("the bot has not opened any modal")
            modal = {"custom_id": custom_id, "components": []}

        def convert(comp: dict) -> dict | None:
            t = comp.get("type")
            if t == 1:
                return {"type": 1, "components": [c for c in map(convert, comp.get("components", [])) if c]}
            if t == 18:
                inner = convert(comp.get("component") or {})
                return {"type": 18, "id": comp.get("id", 0), "component": inner} if inner else None
            cid = comp.get("custom_id")
            if cid is None:
                return {"type": t, "id": comp.get("id", 0)}
            value = values.get(cid, "" if t == 4 else [])
            out = {"type": t, "custom_id": cid, "id": comp.get("id", 0)}
            if t == 4:
                out["value"] = value
            else:
                out["values"] = list(value) if isinstance(value, (list, tuple)) else [value]
            return out

        components = [c for c in map(convert, modal.get("components", [])) if c]
        if not modal.get("components"):
            components = [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                for k, v in values.items()
            ]
        data = {"custom_id": modal["custom_id"], "components": components}
        if user is None:
            user = (
                source.payload.get("member", {}).get("user") or source.payload.get("user")
                if source
                else "alice"
            )
        if source is not None:
            in_guild = source.guild_id is not None
            handle = self._new_interaction(
                IT_MODAL_SUBMIT,
                data,
                user=user,
                channel=source.channel_id if in_guild else None,
                dm=not in_guild,
                message=source.source_message,
            )
        else:
            handle = self._new_interaction(IT_MODAL_SUBMIT, data, user=user, channel="general", dm=False)
        return await self._send_interaction(handle)

    # ==================================================================================
    # REST
    # ==================================================================================

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        return web.Response(
            status=status, body=json.dumps(data, separators=(",", ":")).encode(), headers=JSON_CT
        )

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.Response(
            status=status, body=json.dumps({"message": message, "code": code}).encode(), headers=JSON_CT
        )

    @staticmethod
    def _no_content() -> web.Response:
        return web.Response(status=204)

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., Any], bool]]:
        # (method, regex, handler, needs_bot_auth)
        S = r"(?P<%s>\d+)"
        cmds = r"/applications/" + S % "app_id"
        gcmds = cmds + r"/guilds/" + S % "guild_id"
        msg = r"/channels/" + S % "channel_id" + r"/messages/" + S % "message_id"
        hook = r"/webhooks/" + S % "app_id" + r"/(?P<token>[^/]+)"
        table: list[tuple[str, str, Callable[..., Any], bool]] = [
            ("GET", r"/users/@me", self._r_me, True),
            ("GET", r"/users/" + S % "user_id", self._r_user, True),
            ("POST", r"/users/@me/channels", self._r_create_dm, True),
            ("GET", r"/gateway", self._r_gateway, False),
            ("GET", r"/gateway/bot", self._r_gateway_bot, True),
            ("GET", r"/oauth2/applications/@me", self._r_app, True),
            ("GET", r"/applications/@me", self._r_app, True),
            ("GET", cmds + r"/commands", self._r_get_commands, True),
            ("PUT", cmds + r"/commands", self._r_put_commands, True),
            ("POST", cmds + r"/commands", self._r_post_command, True),
            ("GET", cmds + r"/commands/" + S % "cmd_id", self._r_get_command, True),
            ("PATCH", cmds + r"/commands/" + S % "cmd_id", self._r_patch_command, True),
            ("DELETE", cmds + r"/commands/" + S % "cmd_id", self._r_delete_command, True),
            ("GET", gcmds + r"/commands", self._r_get_commands, True),
            ("PUT", gcmds + r"/commands", self._r_put_commands, True),
            ("POST", gcmds + r"/commands", self._r_post_command, True),
            ("GET", gcmds + r"/commands/" + S % "cmd_id", self._r_get_command, True),
            ("PATCH", gcmds + r"/commands/" + S % "cmd_id", self._r_patch_command, True),
            ("DELETE", gcmds + r"/commands/" + S % "cmd_id", self._r_delete_command, True),
            ("GET", r"/channels/" + S % "channel_id", self._r_get_channel, True),
            ("GET", r"/channels/" + S % "channel_id" + r"/messages", self._r_history, True),
            ("POST", r"/channels/" + S % "channel_id" + r"/messages", self._r_create_message, True),
            ("POST", r"/channels/" + S % "channel_id" + r"/messages/bulk-delete", self._r_bulk_delete, True),
            ("GET", msg, self._r_get_message, True),
            ("PATCH", msg, self._r_edit_message, True),
            ("DELETE", msg, self._r_delete_message, True),
            ("PUT", msg + r"/reactions/(?P<emoji>[^/]+)/@me", self._r_reaction, True),
            ("DELETE", msg + r"/reactions/(?P<emoji>[^/]+)/@me", self._r_reaction, True),
            ("POST", r"/channels/" + S % "channel_id" + r"/typing", self._r_typing, True),
            ("GET", r"/guilds/" + S % "guild_id", self._r_guild, True),
            ("GET", r"/guilds/" + S % "guild_id" + r"/channels", self._r_guild_channels, True),
            ("GET", r"/guilds/" + S % "guild_id" + r"/roles", self._r_guild_roles, True),
            ("GET", r"/guilds/" + S % "guild_id" + r"/members/" + S % "user_id", self._r_guild_member, True),
            (
                "POST",
                r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback",
                self._r_callback,
                False,
            ),
            ("POST", hook, self._r_followup, False),
            ("GET", hook + r"/messages/(?P<message_id>@original|\d+)", self._r_hook_get, False),
            ("PATCH", hook + r"/messages/(?P<message_id>@original|\d+)", self._r_hook_edit, False),
            ("DELETE", hook + r"/messages/(?P<message_id>@original|\d+)", self._r_hook_delete, False),
        ]
        routes: list[tuple[str, re.Pattern[str], Callable[..., Any], bool]] = [
            (m, re.compile("^" + p + "$"), h, a) for m, p, h, a in table
        ]
        return routes

    async def _read_body(self, request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
        files: list[dict[str, Any]] = []
        if not request.body_exists:
            return None, files
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            body = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    raw = await part.read()
                    files.append(
                        {
                            "field": part.name,
                            "filename": part.filename,
                            "size": len(raw),
                            "content_type": part.headers.get("Content-Type"),
                            "data": bytes(raw),
                        }
                    )
            return body, files
        text = await request.text()
        if not text:
            return None, files
        try:
            return json.loads(text), files
        except ValueError:
            return text, files

    async def _rest_handler(self, request: web.Request) -> web.StreamResponse:
        rel = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        rec = RecordedRequest(request.method, rel, dict(request.query), body, files, dict(request.headers))
        self.requests.append(rec)
        if sum(f["size"] for f in files) > self.upload_limit:
            rec.status = 413
            await self._changed()
            return self._error(413, 40005, "Request entity too large")
        try:
            fault = self._take_fault(rec.method, rel)
            if fault is not None:
                rec.fault = fault.label
                if fault.delay:
                    await asyncio.sleep(fault.delay)
            resp = (
                fault.build() if fault is not None and fault.build is not None and not fault.after else None
            )
            if resp is None:
                for method, rx, handler, needs_auth in self._routes:
                    m = rx.match(rel)
                    if m and method == rec.method:
                        if needs_auth and not request.headers.get("Authorization", "").startswith("Bot "):
                            resp = self._error(401, 0, "401: Unauthorized")
                        else:
                            resp = await handler(rec, **m.groupdict())
                        break
                else:
                    rec.unexpected = True
                    self.unexpected_requests.append(rec)
                    resp = self._error(404, 0, "404: Not Found")
                if fault is not None and fault.after and fault.build is not None:
                    resp = fault.build()
        except (
            Exception
        ) as exc:  # a bug in the fake: make it loud, but don't return 5xx (discord.py would retry slowly)
            self.internal_errors.append(f"{rec!r}\n{traceback.format_exc()}")
            resp = self._error(400, 0, f"fake_discord internal error: {exc!r}")
        rec.status = resp.status
        await self._changed()
        return resp

    async def _cdn_handler(self, request: web.Request) -> web.StreamResponse:
        self.cdn_requests.append(request.path_qs)
        return web.Response(body=_PNG_1X1, headers={"Content-Type": "image/png"})

    # ---- simple routes ----------------------------------------------------------------

    async def _r_me(self, rec: RecordedRequest) -> web.Response:
        return self._json(self.bot_user)

    async def _r_user(self, rec: RecordedRequest, user_id: str) -> web.Response:
        u = self._users_by_id.get(int(user_id))
        return self._json(u) if u else self._error(404, 10013, "Unknown User")

    async def _r_create_dm(self, rec: RecordedRequest) -> web.Response:
        uid = int((rec.json or {}).get("recipient_id", 0))
        if uid not in self._users_by_id:
            return self._error(400, 50033, "Invalid Recipient(s)")
        return self._json(self.dm_channel(uid))

    async def _r_gateway(self, rec: RecordedRequest) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _r_gateway_bot(self, rec: RecordedRequest) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _r_app(self, rec: RecordedRequest) -> web.Response:
        return self._json(self.application_payload())

    async def _r_get_channel(self, rec: RecordedRequest, channel_id: str) -> web.Response:
        ch = self._channels_by_id.get(int(channel_id))
        return self._json(ch) if ch else self._error(404, 10003, "Unknown Channel")

    async def _r_typing(self, rec: RecordedRequest, channel_id: str) -> web.Response:
        if int(channel_id) not in self._channels_by_id:
            return self._error(404, 10003, "Unknown Channel")
        self.typing.append(int(channel_id))
        return self._no_content()

    async def _r_guild(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        if int(guild_id) not in self.guilds:
            return self._error(404, 10004, "Unknown Guild")
        g = self.guild_payload(int(guild_id))
        for key in (
            "members",
            "channels",
            "threads",
            "voice_states",
            "presences",
            "joined_at",
            "large",
            "member_count",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
            "unavailable",
        ):
            g.pop(key, None)
        return self._json(g)

    async def _r_guild_channels(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        return self._json(
            [c for c in self.channels.values() if c.get("guild_id") == guild_id and c["type"] != 11]
        )

    async def _r_guild_roles(self, rec: RecordedRequest, guild_id: str) -> web.Response:
        roles = self.roles if int(guild_id) == self.guild_id else self._guild_roles.get(int(guild_id), {})
        return self._json(list(roles.values()))

    async def _r_guild_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> web.Response:
        if int(user_id) not in self._member_roles or int(guild_id) not in self.guilds:
            return self._error(404, 10007, "Unknown Member")
        m = self.member_payload(int(user_id), guild=int(guild_id))
        m.pop("permissions", None)
        return self._json(m)

    # ---- application commands ------------------------------------------------------

    def _command_list(self, guild_id: str | None) -> list[dict]:
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(int(guild_id), [])

    def _materialize_command(self, body: dict, guild_id: str | None, existing: dict | None = None) -> dict:
        cmd = _clone(body)
        cmd.setdefault("type", 1)
        cmd.setdefault("description", "")
        cmd["id"] = existing["id"] if existing else _sf()
        cmd["application_id"] = str(self.application_id)
        cmd["version"] = _sf()
        cmd.setdefault("default_member_permissions", None)
        cmd.setdefault("nsfw", False)
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        return cmd

    async def _r_get_commands(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        return self._json(self._command_list(guild_id))

    async def _r_put_commands(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        if int(app_id) != self.application_id:
            return self._error(403, 50001, "Missing Access")
        old = {(c["name"], c.get("type", 1)): c for c in self._command_list(guild_id)}
        new = [
            self._materialize_command(b, guild_id, old.get((b["name"], b.get("type", 1))))
            for b in rec.json or []
        ]
        if guild_id is None:
            self.global_commands = new
        else:
            self.guild_commands[int(guild_id)] = new
        return self._json(new)

    async def _r_post_command(
        self, rec: RecordedRequest, app_id: str, guild_id: str | None = None
    ) -> web.Response:
        lst = self._command_list(guild_id)
        body = rec.json or {}
        existing = next(
            (c for c in lst if c["name"] == body.get("name") and c.get("type", 1) == body.get("type", 1)),
            None,
        )
        cmd = self._materialize_command(body, guild_id, existing)
        if existing:
            lst[lst.index(existing)] = cmd
        else:
            lst.append(cmd)
        return self._json(cmd, 200 if existing else 201)

    async def _r_get_command(
        self, rec: RecordedRequest, app_id: str, cmd_id: str, guild_id: str | None = None
    ) -> web.Response:
        cmd = next((c for c in self._command_list(guild_id) if c["id"] == cmd_id), None)
        return self._json(cmd) if cmd else self._error(404, 10063, "Unknown application command")

    async def _r_patch_command(
        self, rec: RecordedRequest, app_id: str, cmd_id: str, guild_id: str | None = None
    ) -> web.Response:
        cmd = next((c for c in self._command_list(guild_id) if c["id"] == cmd_id), None)
        if cmd is None:
            return self._error(404, 10063, "Unknown application command")
        cmd.update(rec.json or {})
        return self._json(cmd)

    async def _r_delete_command(
        self, rec: RecordedRequest, app_id: str, cmd_id: str, guild_id: str | None = None
    ) -> web.Response:
        lst = self._command_list(guild_id)
        lst[:] = [c for c in lst if c["id"] != cmd_id]
        return self._no_content()

    # ---- messages -----------------------------------------------------------------

    def _attachment_payload(
        self, channel_id: str, filename: str, size: int, extra: dict | None = None
    ) -> dict:
        aid = _sf()
        url = f"{self.cdn_url}/attachments/{channel_id}/{aid}/{filename}"
        att = {
            "id": aid,
            "filename": filename,
            "size": size,
            "url": url,
            "proxy_url": url,
            "content_type": "application/octet-stream",
        }
        for key in ("description", "content_type", "width", "height", "ephemeral", "title"):
            if extra and key in extra:
                att[key] = extra[key]
        return att

    def _attachments_from(
        self, channel_id: str, body: dict, files: list[dict], current: list[dict]
    ) -> list[dict]:
        """Attachments of a created/edited message: kept existing ones + uploaded files."""
        wanted = body.get("attachments")
        if wanted is None:
            uploaded = [
                self._attachment_payload(channel_id, f["filename"] or "file.bin", f["size"], f) for f in files
            ]
            return current + uploaded
        by_id = {a["id"]: a for a in current}
        out = []
        for a in wanted:
            aid = str(a.get("id"))
            if aid in by_id:
                out.append(dict(by_id[aid], **{k: v for k, v in a.items() if k in ("description",)}))
                continue
            f = next((f for f in files if f["field"] == f"files[{aid}]"), None)
            out.append(
                self._attachment_payload(
                    channel_id,
                    a.get("filename") or (f or {}).get("filename") or "file.bin",
                    (f or {}).get("size", 0),
                    a,
                )
            )
        return out

    @staticmethod
    def _strip_ref(msg: dict) -> dict:
        out = _clone(msg)
        out.pop("referenced_message", None)
        out.pop("member", None)
        return out

    def _new_bot_message(
        self,
        channel_id: str,
        body: dict,
        files: list[dict],
        *,
        webhook: bool = False,
        msg_type: int = 0,
        extra_flags: int = 0,
    ) -> dict:
        ch = self._channels_by_id.get(int(channel_id))
        in_guild = ch is not None and ch.get("type") != 1
        content = body.get("content") or ""
        msg: dict = {
            "id": _sf(),
            "channel_id": str(channel_id),
            "author": _clone(self.bot_user),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": self._mentions_from_content(content, in_guild),
            "mention_roles": [],
            "attachments": self._attachments_from(str(channel_id), body, files, []),
            "embeds": _clone(body.get("embeds") or []),
            "components": _clone(body.get("components") or []),
            "pinned": False,
            "type": msg_type,
            "flags": int(body.get("flags") or 0) | extra_flags,
        }
        if in_guild:
            msg["guild_id"] = ch["guild_id"] if ch is not None else str(self.guild_id)
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        if body.get("sticker_ids"):
            msg["sticker_items"] = [
                {"id": str(s), "name": "sticker", "format_type": 1} for s in body["sticker_ids"]
            ]
        if webhook:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
        ref = body.get("message_reference")
        if ref and ref.get("message_id"):
            msg["type"] = 19 if msg_type == 0 else msg_type
            msg["message_reference"] = {
                "type": ref.get("type", 0),
                "message_id": str(ref["message_id"]),
                "channel_id": str(ref.get("channel_id") or channel_id),
            }
            if in_guild:
                msg["message_reference"]["guild_id"] = str(ref.get("guild_id") or msg["guild_id"])
            target = self.messages.get(int(ref["message_id"]))
            msg["referenced_message"] = self._strip_ref(target) if target else None
        return msg

    def _apply_edit(self, msg: dict, body: dict, files: list[dict]) -> None:
        body = body or {}
        if "content" in body:
            msg["content"] = body["content"] or ""
            in_guild = "guild_id" in msg
            msg["mentions"] = self._mentions_from_content(msg["content"], in_guild)
        if "embeds" in body:
            msg["embeds"] = _clone(body["embeds"] or [])
        if "components" in body:
            msg["components"] = _clone(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            msg["flags"] = (msg.get("flags", 0) & (FLAG_EPHEMERAL | FLAG_LOADING)) | int(body["flags"])
        if "attachments" in body or files:
            msg["attachments"] = self._attachments_from(
                msg["channel_id"], body, files, msg.get("attachments", [])
            )
        if "poll" in body:
            msg["poll_request"] = body["poll"]
        msg["edited_timestamp"] = _now_iso()
        self.edits.append((int(msg["id"]), _clone(body)))

    async def _publish_bot_message(self, msg: dict) -> None:
        self.messages[int(msg["id"])] = msg
        self.bot_messages.append(msg)
        ch = self._channels_by_id.get(int(msg["channel_id"]))
        if ch is not None:
            ch["last_message_id"] = msg["id"]
        if self.echo_bot_messages and not (msg.get("flags", 0) & FLAG_EPHEMERAL):
            await self._echo("MESSAGE_CREATE", msg)

    async def _echo(self, event: str, msg: dict) -> None:
        if self._sessions.get(self.shard_of(msg.get("guild_id"))) is None:
            return
        payload = dict(msg)  # only top-level keys change below; the frame is serialised at once
        if "guild_id" in payload and event != "MESSAGE_DELETE":
            member = self.member_payload(self.bot_user, with_user=False, guild=payload["guild_id"])
            member.pop("permissions", None)
            payload["member"] = member
        delivered, visible = self._visible_to_bot(payload)
        if delivered:
            await self.dispatch(event, visible)

    async def _r_create_message(self, rec: RecordedRequest, channel_id: str) -> web.Response:
        if int(channel_id) not in self._channels_by_id:
            return self._error(404, 10003, "Unknown Channel")
        body = rec.json or {}
        if (
            not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll"))
            and not rec.files
        ):
            return self._error(400, 50006, "Cannot send an empty message")
        ref = body.get("message_reference")
        if (
            ref
            and ref.get("message_id")
            and int(ref["message_id"]) not in self.messages
            and ref.get("fail_if_not_exists", True)
        ):
            return self._error(400, 50035, "Invalid Form Body (message_reference: Unknown message)")
        nonce = body.get("nonce")
        key = (str(channel_id), str(nonce))
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get(key)
            if seen is not None and time.monotonic() - seen[0] < NONCE_SECONDS:
                self.nonce_replays += 1  # Discord: the same nonce within minutes returns the first message
                return self._json(seen[1])
        msg = self._new_bot_message(channel_id, body, rec.files)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[key] = (time.monotonic(), msg)
        await self._publish_bot_message(msg)
        return self._json(msg)

    def _channel_message(self, channel_id: str, message_id: str) -> dict | None:
        msg = self.messages.get(int(message_id))
        if msg is None or msg["channel_id"] != str(channel_id) or int(message_id) in self.deleted_message_ids:
            return None
        return msg

    async def _r_get_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> web.Response:
        msg = self._channel_message(channel_id, message_id)
        return self._json(msg) if msg else self._error(404, 10008, "Unknown Message")

    async def _r_history(self, rec: RecordedRequest, channel_id: str) -> web.Response:
        limit = int(rec.query.get("limit", 50))
        msgs = [
            m
            for m in self.messages.values()
            if m["channel_id"] == str(channel_id) and int(m["id"]) not in self.deleted_message_ids
        ]
        msgs.sort(key=lambda m: int(m["id"]), reverse=True)
        if "before" in rec.query:
            msgs = [m for m in msgs if int(m["id"]) < int(rec.query["before"])]
        if "after" in rec.query:
            msgs = [m for m in msgs if int(m["id"]) > int(rec.query["after"])]
        return self._json(msgs[:limit])

    async def _r_edit_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> web.Response:
        msg = self._channel_message(channel_id, message_id)
        if msg is None:
            return self._error(404, 10008, "Unknown Message")
        if msg["author"]["id"] != self.bot_user["id"]:
            return self._error(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(msg, rec.json or {}, rec.files)
        if self.echo_bot_messages:
            await self._echo("MESSAGE_UPDATE", msg)
        return self._json(msg)

    async def _delete(self, msg: dict) -> None:
        self.deleted_message_ids.append(int(msg["id"]))
        if (
            self.echo_bot_messages
            and self._sessions.get(self.shard_of(msg.get("guild_id"))) is not None
            and not (msg.get("flags", 0) & FLAG_EPHEMERAL)
        ):
            data = {"id": msg["id"], "channel_id": msg["channel_id"]}
            if "guild_id" in msg:
                data["guild_id"] = msg["guild_id"]
            await self.dispatch("MESSAGE_DELETE", data)

    async def _r_delete_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> web.Response:
        msg = self._channel_message(channel_id, message_id)
        if msg is None:
            return self._error(404, 10008, "Unknown Message")
        await self._delete(msg)
        return self._no_content()

    async def _r_bulk_delete(self, rec: RecordedRequest, channel_id: str) -> web.Response:
        for mid in (rec.json or {}).get("messages", []):
            msg = self._channel_message(channel_id, mid)
            if msg is not None:
                await self._delete(msg)
        return self._no_content()

    async def _r_reaction(
        self, rec: RecordedRequest, channel_id: str, message_id: str, emoji: str
    ) -> web.Response:
        if self._channel_message(channel_id, message_id) is None:
            return self._error(404, 10008, "Unknown Message")
        self.reactions.append((rec.method, int(channel_id), int(message_id), unquote(emoji)))
        return self._no_content()

    # ---- interactions / webhooks ------------------------------------------------------

    async def _r_callback(self, rec: RecordedRequest, interaction_id: str, token: str) -> web.Response:
        inter = self._interactions_by_token.get(token)
        if inter is None or inter.id != int(interaction_id):
            return self._error(404, 10062, "Unknown interaction")
        if inter.callbacks:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - inter.created_at > self.interaction_deadline:
            return self._error(404, 10062, "Unknown interaction")
        body = rec.json or {}
        ctype = int(body.get("type", 0))
        data = body.get("data")
        record = {"type": ctype, "data": _clone(data)}
        if rec.files:
            record["files"] = [{k: v for k, v in f.items() if k != "data"} for f in rec.files]
        flags = int((data or {}).get("flags") or 0)
        info: dict = {
            "id": str(inter.id),
            "type": inter.type,
            "response_message_loading": ctype == CB_DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(flags & FLAG_EPHEMERAL),
        }
        resource: dict | None = None
        msg_type = (
            20
            if inter.type == IT_COMMAND and (inter.payload.get("data") or {}).get("type", 1) == 1
            else (23 if inter.type == IT_COMMAND else 0)
        )
        if ctype == CB_MESSAGE:
            msg = self._new_bot_message(
                str(inter.channel_id), data or {}, rec.files, webhook=True, msg_type=msg_type
            )
            inter.original = msg
            inter._published = True
            await self._publish_bot_message(msg)
            resource = {"type": ctype, "message": msg}
        elif ctype == CB_DEFERRED_MESSAGE:
            msg = self._new_bot_message(
                str(inter.channel_id),
                {"flags": flags},
                [],
                webhook=True,
                msg_type=msg_type,
                extra_flags=FLAG_LOADING,
            )
            inter.original = msg
            self.messages[int(msg["id"])] = msg
            resource = {"type": ctype, "message": msg}
        elif ctype in (CB_UPDATE, CB_DEFERRED_UPDATE):
            if inter.source_message is None or inter.type not in (IT_COMPONENT, IT_MODAL_SUBMIT):
                return self._error(400, 40004, "Interaction callback type not allowed for this interaction")
            target = self.messages.get(int(inter.source_message["id"]), inter.source_message)
            inter.original = target
            inter._published = True
            if ctype == CB_UPDATE:
                self._apply_edit(target, data or {}, rec.files)
                if self.echo_bot_messages and not (target.get("flags", 0) & FLAG_EPHEMERAL):
                    await self._echo("MESSAGE_UPDATE", target)
                resource = {"type": ctype, "message": target}
        elif ctype == CB_AUTOCOMPLETE:
            if inter.type != IT_AUTOCOMPLETE:
                return self._error(400, 40004, "Interaction callback type not allowed for this interaction")
        elif ctype == CB_MODAL:
            inter.modal = _clone(data)
            self.modals.append((inter, inter.modal))
        elif ctype == CB_LAUNCH_ACTIVITY:
            resource = {"type": ctype, "activity_instance": {"id": "fake-activity-" + secrets.token_hex(4)}}
        elif ctype != CB_PONG:
            return self._error(400, 50035, f"Invalid Form Body (type: {ctype})")
        if inter.original is not None:
            info["response_message_id"] = inter.original["id"]
        inter.callbacks.append(record)
        self.callbacks.append({"interaction": inter, **record})
        out: dict = {"interaction": info}
        if resource is not None:
            out["resource"] = resource
        return self._json(out)

    def _hook_interaction(self, app_id: str, token: str) -> FakeInteraction | None:
        inter = self._interactions_by_token.get(token)
        if inter is None or int(app_id) != self.application_id or not inter.callbacks:
            return None
        return inter

    def _hook_message(self, inter: FakeInteraction, message_id: str) -> dict | None:
        if message_id == "@original":
            msg = inter.original
        else:
            msg = next((m for m in inter.followups if m["id"] == message_id), None)
            if msg is None and inter.original is not None and inter.original["id"] == message_id:
                msg = inter.original
        if msg is None or int(msg["id"]) in self.deleted_message_ids:
            return None
        return msg

    async def _r_followup(self, rec: RecordedRequest, app_id: str, token: str) -> web.Response:
        inter = self._hook_interaction(app_id, token)
        if inter is None:
            return self._error(404, 10015, "Unknown Webhook")
        body = rec.json or {}
        if not any(body.get(k) for k in ("content", "embeds", "components", "poll")) and not rec.files:
            return self._error(400, 50006, "Cannot send an empty message")
        msg = self._new_bot_message(str(inter.channel_id), body, rec.files, webhook=True)
        inter.followups.append(msg)
        await self._publish_bot_message(msg)
        if rec.query.get("wait") in ("1", "true", "True"):
            return self._json(msg)
        return self._no_content()

    async def _r_hook_get(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        inter = self._hook_interaction(app_id, token)
        msg = self._hook_message(inter, message_id) if inter else None
        return self._json(msg) if msg else self._error(404, 10008, "Unknown Message")

    async def _r_hook_edit(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        inter = self._hook_interaction(app_id, token)
        if inter is None:
            return self._error(404, 10015, "Unknown Webhook")
        msg = self._hook_message(inter, message_id)
        if msg is None:
            return self._error(404, 10008, "Unknown Message")
        self._apply_edit(msg, rec.json or {}, rec.files)
        if msg is inter.original:
            inter.original_edits.append(_clone(rec.json or {}))
            if msg.get("flags", 0) & FLAG_LOADING:
                msg["flags"] &= ~FLAG_LOADING
            if not inter._published:  # the deferred "thinking" message becomes a real one
                inter._published = True
                await self._publish_bot_message(msg)
                return self._json(msg)
        if self.echo_bot_messages and not (msg.get("flags", 0) & FLAG_EPHEMERAL):
            await self._echo("MESSAGE_UPDATE", msg)
        return self._json(msg)

    async def _r_hook_delete(
        self, rec: RecordedRequest, app_id: str, token: str, message_id: str
    ) -> web.Response:
        inter = self._hook_interaction(app_id, token)
        if inter is None:
            return self._error(404, 10015, "Unknown Webhook")
        msg = self._hook_message(inter, message_id)
        if msg is None:
            return self._error(404, 10008, "Unknown Message")
        await self._delete(msg)
        return self._no_content()


def _resolve(ref: Any, by_name: dict[str, dict], by_id: dict[int, dict], kind: str) -> dict:
    """A user or channel given as its record, an object with an ``id``, its name or its id."""
    if isinstance(ref, dict):
        return by_id.get(int(ref["id"]), ref)
    if hasattr(ref, "id") and not isinstance(ref, (str, int)):
        ref = ref.id
    if isinstance(ref, str) and ref in by_name:
        return by_name[ref]
    try:
        return by_id[int(ref)]
    except (KeyError, ValueError, TypeError):
        raise KeyError(f"unknown {kind} {ref!r}; known: {sorted(by_name)}") from None
