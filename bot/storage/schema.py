"""The schema: numbered migrations, the same for SQLite and PostgreSQL.

Each migration is SQL with a few type placeholders ({PK}, {BIG}, {REAL}, {NOROWID}) rendered per
backend, optionally followed by a Python step (a statement generator, for data that SQL alone
cannot move). A database from an older version is upgraded in place at open, one migration per
transaction; SQLite records the version in ``PRAGMA user_version`` (as every release did),
PostgreSQL in the ``schema_version`` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.storage import grouping
from bot.storage.sql import Ops, all_, many, run, val

_TYPES = {
    "sqlite": {"PK": "INTEGER PRIMARY KEY", "BIG": "INTEGER", "REAL": "REAL", "NOROWID": "WITHOUT ROWID"},
    "postgres": {"PK": "BIGSERIAL PRIMARY KEY", "BIG": "BIGINT", "REAL": "DOUBLE PRECISION", "NOROWID": ""},
}


@dataclass(frozen=True)
class Migration:
    description: str
    sql: str
    step: Callable[[str], Ops] | None = None  # step(dialect)

    def statements(self, dialect: str) -> list[str]:
        text = self.sql
        for key, value in _TYPES[dialect].items():
            text = text.replace("{" + key + "}", value)
        return [s.strip() for s in text.split(";") if s.strip()]


def _split_multi_server_entries(dialect: str) -> Ops:
    """Before release 4 one queue entry could collect askers from several servers. Each server now
    gets its own entry, so no server's moderators see (or delete) another server's questions."""
    rows = yield all_(
        "SELECT a.queue_id, a.guild_id, COUNT(*) AS n, MIN(a.asked_at) AS first, MAX(a.asked_at) AS last"
        " FROM askers a JOIN queue q ON q.id = a.queue_id"
        " WHERE COALESCE(a.guild_id, 0) <> COALESCE(q.guild_id, 0)"
        " GROUP BY a.queue_id, a.guild_id ORDER BY a.queue_id, a.guild_id"
    )
    for row in rows:
        entry = yield all_("SELECT * FROM queue WHERE id = ?", row["queue_id"])
        if not entry:
            continue
        q = entry[0]
        first = yield all_(
            "SELECT user_id, channel_id FROM askers WHERE queue_id = ? AND COALESCE(guild_id, 0) = ?"
            " ORDER BY asked_at LIMIT 1",
            q["id"],
            row["guild_id"] or 0,
        )
        user_id = first[0]["user_id"] if first else None
        channel_id = first[0]["channel_id"] if first else None
        new_id = yield val(
            "INSERT INTO queue (question, normalized, status, count, first_seen, last_seen, guild_id, channel_id,"
            " user_id, outcome, best_guess, confidence, unknown_model, source, resolution_model, resolution_license,"
            " resolution_topic, dismiss_reason, decided_by, decided_at, announced)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            q["question"],
            q["normalized"],
            q["status"],
            row["n"],
            row["first"],
            row["last"],
            row["guild_id"],
            channel_id,
            user_id,
            q["outcome"],
            q["best_guess"],
            q["confidence"],
            q["unknown_model"],
            q["source"],
            q["resolution_model"],
            q["resolution_license"],
            q["resolution_topic"],
            q["dismiss_reason"],
            q["decided_by"],
            q["decided_at"],
            q["announced"],
        )
        yield run(
            "UPDATE askers SET queue_id = ? WHERE queue_id = ? AND COALESCE(guild_id, 0) = ?",
            new_id,
            q["id"],
            row["guild_id"] or 0,
        )
        yield run(
            "UPDATE queue SET count = CASE WHEN count - ? < 1 THEN 1 ELSE count - ? END WHERE id = ?",
            row["n"],
            row["n"],
            q["id"],
        )


def _index_open_entries(dialect: str) -> Ops:
    last = 0
    while True:
        rows = yield all_(
            "SELECT id, normalized, guild_id FROM queue WHERE status = 'open' AND id > ? ORDER BY id LIMIT 1000",
            last,
        )
        if not rows:
            return
        out = []
        for r in rows:
            out.extend(index_rows(r["id"], r["normalized"], r["guild_id"]))
        yield many(
            "INSERT INTO queue_terms (gkey, numsig, term, nlen, queue_id) VALUES (?,?,?,?,?)"
            " ON CONFLICT DO NOTHING",
            out,
        )
        last = rows[-1]["id"]


def _release_4(dialect: str) -> Ops:
    yield from _split_multi_server_entries(dialect)
    yield from _index_open_entries(dialect)


def index_rows(queue_id: int, norm: str, guild_id: int | None) -> list[tuple]:
    gkey, sig, n = grouping.guild_key(guild_id), grouping.number_signature(norm), grouping.length(norm)
    return [(gkey, sig, term, n, queue_id) for term in grouping.index_terms(norm)]


MIGRATIONS: list[Migration] = [
    Migration(
        "the first release: review queue, votes, watched channels",
        """
    CREATE TABLE queue (
        id {PK},
        question TEXT NOT NULL,
        normalized TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',
        count INTEGER NOT NULL DEFAULT 1,
        first_seen {REAL} NOT NULL,
        last_seen {REAL} NOT NULL,
        guild_id {BIG},
        channel_id {BIG},
        user_id {BIG},
        outcome TEXT NOT NULL,
        best_guess TEXT,
        confidence {REAL},
        unknown_model TEXT
    );
    CREATE INDEX queue_status ON queue(status, last_seen);
    CREATE TABLE votes (
        message_id {BIG} NOT NULL,
        user_id {BIG} NOT NULL,
        helpful INTEGER NOT NULL,
        created {REAL} NOT NULL,
        PRIMARY KEY (message_id, user_id)
    );
    CREATE TABLE watched_channels (
        guild_id {BIG} NOT NULL,
        channel_id {BIG} PRIMARY KEY
    );
    """,
    ),
    Migration(
        "resolutions, answers sent, guild settings, taught phrasings, audit log, per-asker rows",
        """
    ALTER TABLE queue ADD COLUMN source TEXT NOT NULL DEFAULT 'discord';
    ALTER TABLE queue ADD COLUMN resolution_model TEXT;
    ALTER TABLE queue ADD COLUMN resolution_license TEXT;
    ALTER TABLE queue ADD COLUMN resolution_topic TEXT;
    ALTER TABLE queue ADD COLUMN dismiss_reason TEXT;
    ALTER TABLE queue ADD COLUMN decided_by {BIG};
    ALTER TABLE queue ADD COLUMN decided_at {REAL};
    ALTER TABLE queue ADD COLUMN announced INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE askers (
        queue_id {BIG} NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
        user_id {BIG},
        guild_id {BIG},
        channel_id {BIG},
        asked_at {REAL} NOT NULL
    );
    CREATE INDEX askers_user ON askers(user_id);
    INSERT INTO askers (queue_id, user_id, guild_id, channel_id, asked_at)
        SELECT id, user_id, guild_id, channel_id, first_seen FROM queue;
    CREATE TABLE answers (
        message_id {BIG} PRIMARY KEY,
        question TEXT NOT NULL,
        model TEXT,
        license TEXT,
        topic TEXT,
        guild_id {BIG},
        channel_id {BIG},
        user_id {BIG},
        created {REAL} NOT NULL
    );
    ALTER TABLE votes ADD COLUMN queue_id {BIG} REFERENCES queue(id) ON DELETE SET NULL;
    CREATE TABLE guild_settings (
        guild_id {BIG} PRIMARY KEY,
        moderator_role_id {BIG},
        log_channel_id {BIG}
    );
    CREATE TABLE learned (
        id {PK},
        question TEXT NOT NULL,
        model TEXT,
        license TEXT,
        topic TEXT NOT NULL,
        created_by {BIG},
        created_at {REAL} NOT NULL
    );
    CREATE TABLE audit (
        id {PK},
        at {REAL} NOT NULL,
        user_id {BIG},
        action TEXT NOT NULL,
        model TEXT,
        target TEXT,
        before TEXT,
        after TEXT
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
    """,
    ),
    Migration(
        "one row per question asked, without its text or asker, for stats",
        """
    CREATE TABLE events (
        id {PK},
        at {REAL} NOT NULL,
        day TEXT NOT NULL,
        outcome TEXT NOT NULL,
        model TEXT,
        license TEXT,
        topic TEXT,
        guild_id {BIG},
        source TEXT NOT NULL,
        millis {REAL}
    );
    CREATE INDEX events_day ON events(day);
    """,
    ),
    Migration(
        "per-server isolation, the grouping index, forwarding, per-server aliases, knowledge edits and "
        "the change version",
        """
    ALTER TABLE queue ADD COLUMN forwarded_at {REAL};
    ALTER TABLE queue ADD COLUMN forwarded_by {BIG};
    ALTER TABLE queue ADD COLUMN forward_note TEXT;
    ALTER TABLE votes ADD COLUMN guild_id {BIG};
    UPDATE votes SET guild_id = (SELECT guild_id FROM answers WHERE answers.message_id = votes.message_id);
    ALTER TABLE learned ADD COLUMN guild_id {BIG};
    ALTER TABLE audit ADD COLUMN guild_id {BIG};
    CREATE TABLE queue_terms (
        gkey {BIG} NOT NULL,
        numsig TEXT NOT NULL,
        term TEXT NOT NULL,
        nlen INTEGER NOT NULL,
        queue_id {BIG} NOT NULL REFERENCES queue(id) ON DELETE CASCADE,
        PRIMARY KEY (gkey, numsig, term, nlen, queue_id)
    ) {NOROWID};
    CREATE INDEX queue_terms_entry ON queue_terms(queue_id);
    CREATE INDEX queue_rank ON queue(status, count, last_seen);
    CREATE INDEX queue_guild_rank ON queue(guild_id, status, count, last_seen);
    CREATE INDEX queue_guild_newest ON queue(guild_id, status, last_seen);
    CREATE INDEX queue_unannounced ON queue(announced, status, id);
    CREATE INDEX queue_forwarded ON queue(forwarded_at);
    CREATE INDEX askers_queue ON askers(queue_id);
    CREATE INDEX votes_user ON votes(user_id);
    CREATE INDEX votes_queue ON votes(queue_id);
    CREATE INDEX answers_user ON answers(user_id);
    CREATE INDEX answers_created ON answers(created);
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_guild_at ON events(guild_id, at);
    CREATE INDEX audit_model ON audit(model, id);
    CREATE INDEX audit_guild ON audit(guild_id, id);
    CREATE INDEX learned_guild ON learned(guild_id, id);
    CREATE TABLE guild_aliases (
        guild_id {BIG} NOT NULL,
        alias TEXT NOT NULL,
        model TEXT NOT NULL,
        created_by {BIG},
        created_at {REAL} NOT NULL,
        PRIMARY KEY (guild_id, alias)
    );
    CREATE TABLE kb_edits (
        id {PK},
        kind TEXT NOT NULL,
        family TEXT,
        model TEXT,
        payload TEXT NOT NULL,
        base_hash TEXT,
        created_by {BIG},
        created_at {REAL} NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        guild_id {BIG}
    );
    CREATE INDEX kb_edits_active ON kb_edits(active, id);
    CREATE TABLE change_counter (id INTEGER PRIMARY KEY, version {BIG} NOT NULL);
    INSERT INTO change_counter (id, version) VALUES (1, 0);
    CREATE TABLE change_log (
        version {BIG} PRIMARY KEY,
        kind TEXT NOT NULL,
        guild_id {BIG},
        at {REAL} NOT NULL
    );
    """,
        _release_4,
    ),
    Migration(
        "drop-one keys in the grouping index: a repeat with one word mistyped is found at any queue size",
        "",
        _index_open_entries,  # index_rows() now has them; rows already there are kept (ON CONFLICT)
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(dialect: str) -> Ops:
    if dialect == "sqlite":
        return (yield val("PRAGMA user_version")) or 0
    exists = yield val("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    version = yield val("SELECT MAX(version) FROM schema_version")
    return version or 0


def apply(dialect: str, number: int) -> Ops:
    """Apply migration ``number`` (0-based) if the database is still at that version; the
    version is read again inside the transaction, so two processes opening at once are safe."""
    if dialect == "postgres":
        yield val("SELECT pg_advisory_xact_lock(7215, 1)")
        yield run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    version = yield from current_version(dialect)
    if version != number:
        return version
    migration = MIGRATIONS[number]
    for statement in migration.statements(dialect):
        yield run(statement)
    if migration.step is not None:
        yield from migration.step(dialect)
    if dialect == "sqlite":
        yield run(f"PRAGMA user_version = {number + 1}")
    else:
        yield run("INSERT INTO schema_version (version) VALUES (?)", number + 1)
    return number + 1
