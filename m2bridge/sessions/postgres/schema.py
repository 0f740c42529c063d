"""The PostgreSQL schema of the session store, its versioned migrations, and its row-level security.

Everything lives in the `m2bridge` schema. Applied versions are rows of `m2bridge.migrations`;
`MIGRATIONS[i]` takes the database from version `i` to `i + 1`. All pending migrations run in one
transaction, behind an advisory lock, so two processes starting at once on a new database do not
both create the tables: the second waits, then finds them made. A database written
by a newer m2bridge is refused before anything is written to it.

Isolation is the database's, not ours. Every row names its owner role (`owner`, set to
`current_user` by default), and row-level security is enabled and forced on every table, so it binds
the tables' owner too, whichever role ran the migrations:

* a role sees and changes only its own sessions, their turns and their shares;
* a session its owner shared (`shares`) may be read, not changed, by the grantee, who can fork it
  (the fork is the grantee's own);
* turns and shares reference their session together with its owner, so no row can name a session
  of another role (foreign keys are checked by the database, past row-level security).

The tables are granted to PUBLIC: row-level security decides which rows each role reaches (see
docs/postgresql.md for a DBA who prefers to grant a group role instead). Superusers and roles with
BYPASSRLS are not bound by row-level security at all: m2bridge must not connect as one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, LiteralString

from m2bridge.errors import SessionError
from m2bridge.sessions.schema import SchemaTooNew

if TYPE_CHECKING:
    import psycopg

__all__ = ["MIGRATIONS", "NOTIFY_CHANNEL", "SCHEMA_VERSION", "SchemaNeedsOwner", "check_version", "migrate"]

# pg_advisory_xact_lock's key for migrations: ASCII "m2br" "migr".
_MIGRATION_LOCK = 0x6D3262726D696772

_V1: tuple[LiteralString, ...] = (
    "CREATE SCHEMA IF NOT EXISTS m2bridge",
    "GRANT USAGE ON SCHEMA m2bridge TO PUBLIC",
    """
    CREATE TABLE m2bridge.sessions (
        id             text PRIMARY KEY,
        owner          name NOT NULL DEFAULT current_user,
        title          text NOT NULL DEFAULT '',
        workspace      text NOT NULL,
        protocol       text NOT NULL,
        model          text NOT NULL,
        created        double precision NOT NULL,
        updated        double precision NOT NULL,
        -- number of turns stored = index of the next turn; maintained by the trigger below
        head           bigint NOT NULL DEFAULT 0 CHECK (head >= 0),
        context_tokens bigint NOT NULL DEFAULT 0,
        lease_owner    text,
        lease_expires  double precision,
        -- how many times lease_owner holds the lease (the lease is re-entrant)
        lease_depth    integer NOT NULL DEFAULT 0,
        forked_from    text,
        UNIQUE (id, owner)
    )
    """,
    "CREATE INDEX sessions_by_updated ON m2bridge.sessions (owner, updated DESC)",
    "CREATE INDEX sessions_by_workspace ON m2bridge.sessions (owner, workspace, updated DESC)",
    # The payload is bytea: the exact bytes the turn was serialised to, never re-encoded.
    """
    CREATE TABLE m2bridge.turns (
        session_id text NOT NULL,
        owner      name NOT NULL DEFAULT current_user,
        idx        bigint NOT NULL,
        kind       text NOT NULL,
        payload    bytea NOT NULL,
        created    double precision NOT NULL,
        PRIMARY KEY (session_id, idx),
        FOREIGN KEY (session_id, owner) REFERENCES m2bridge.sessions (id, owner) ON DELETE CASCADE
    )
    """,
    """
    CREATE TABLE m2bridge.shares (
        session_id text NOT NULL,
        owner      name NOT NULL DEFAULT current_user,
        grantee    name NOT NULL,
        created    double precision NOT NULL,
        PRIMARY KEY (session_id, grantee),
        FOREIGN KEY (session_id, owner) REFERENCES m2bridge.sessions (id, owner) ON DELETE CASCADE
    )
    """,
    "CREATE INDEX shares_by_grantee ON m2bridge.shares (grantee, session_id)",
    # The store's guarantees hold in the database itself, not only in the code that writes it: a turn
    # goes exactly at the session's head (no gap, no overwrite), turns are never edited, and they
    # disappear only together with their session. The head moves in the BEFORE trigger: PostgreSQL
    # runs AFTER ROW triggers only at the end of the statement, too late for a many-row INSERT.
    """
    CREATE FUNCTION m2bridge.turn_at_head() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
    BEGIN
        IF NEW.idx IS DISTINCT FROM (SELECT head FROM m2bridge.sessions WHERE id = NEW.session_id) THEN
            RAISE EXCEPTION 'a turn must be appended at the session head' USING ERRCODE = 'check_violation';
        END IF;
        UPDATE m2bridge.sessions SET head = head + 1 WHERE id = NEW.session_id;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER turns_at_head BEFORE INSERT ON m2bridge.turns
    FOR EACH ROW EXECUTE FUNCTION m2bridge.turn_at_head()
    """,
    """
    CREATE FUNCTION m2bridge.turns_append_only() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
    BEGIN
        RAISE EXCEPTION 'turns are append-only' USING ERRCODE = 'check_violation';
    END
    $$
    """,
    """
    CREATE TRIGGER turns_append_only BEFORE UPDATE ON m2bridge.turns
    FOR EACH ROW EXECUTE FUNCTION m2bridge.turns_append_only()
    """,
    """
    CREATE FUNCTION m2bridge.turns_removed_with_session() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM m2bridge.sessions WHERE id = OLD.session_id) THEN
            RAISE EXCEPTION 'turns are removed only together with their session'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END
    $$
    """,
    """
    CREATE TRIGGER turns_removed_with_session BEFORE DELETE ON m2bridge.turns
    FOR EACH ROW EXECUTE FUNCTION m2bridge.turns_removed_with_session()
    """,
    # Row-level security, forced so that it binds the tables' owner too.
    "ALTER TABLE m2bridge.sessions ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE m2bridge.sessions FORCE ROW LEVEL SECURITY",
    "ALTER TABLE m2bridge.turns ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE m2bridge.turns FORCE ROW LEVEL SECURITY",
    "ALTER TABLE m2bridge.shares ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE m2bridge.shares FORCE ROW LEVEL SECURITY",
    """
    CREATE POLICY own_sessions ON m2bridge.sessions
    USING (owner = current_user) WITH CHECK (owner = current_user)
    """,
    """
    CREATE POLICY shared_sessions_read ON m2bridge.sessions FOR SELECT
    USING (EXISTS (
        SELECT 1 FROM m2bridge.shares s WHERE s.session_id = sessions.id AND s.grantee = current_user
    ))
    """,
    """
    CREATE POLICY own_turns ON m2bridge.turns
    USING (owner = current_user) WITH CHECK (owner = current_user)
    """,
    """
    CREATE POLICY shared_turns_read ON m2bridge.turns FOR SELECT
    USING (EXISTS (
        SELECT 1 FROM m2bridge.shares s WHERE s.session_id = turns.session_id AND s.grantee = current_user
    ))
    """,
    """
    CREATE POLICY own_shares ON m2bridge.shares
    USING (owner = current_user) WITH CHECK (owner = current_user)
    """,
    "CREATE POLICY shares_with_me ON m2bridge.shares FOR SELECT USING (grantee = current_user)",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON m2bridge.sessions, m2bridge.turns, m2bridge.shares TO PUBLIC",
)

# The change feed (`m2bridge.sessions.postgres.changes`): a session whose turns changed (its head or its
# `updated` moved), a session created or removed, and a share given or withdrawn wake every listener
# on one channel, at commit. NOTIFY passes by row-level security (every listener of the channel gets
# it, whatever its role), so it carries no payload at all, not even a session id: each listener
# re-reads the sessions it follows under its own rights. Repeats within one transaction are merged by
# the server (same channel, same empty payload), so a turn of many records is one notification.
# Lease changes do not notify: they change nothing a reader shows.
NOTIFY_CHANNEL: LiteralString = "m2bridge_sessions"

_V2: tuple[LiteralString, ...] = (
    """
    CREATE FUNCTION m2bridge.sessions_changed() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
    BEGIN
        PERFORM pg_notify('m2bridge_sessions', '');
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER sessions_grew AFTER UPDATE ON m2bridge.sessions FOR EACH ROW
    WHEN (OLD.head IS DISTINCT FROM NEW.head OR OLD.updated IS DISTINCT FROM NEW.updated)
    EXECUTE FUNCTION m2bridge.sessions_changed()
    """,
    """
    CREATE TRIGGER sessions_added_or_removed AFTER INSERT OR DELETE ON m2bridge.sessions
    FOR EACH STATEMENT EXECUTE FUNCTION m2bridge.sessions_changed()
    """,
    # A share given or withdrawn changes what its grantee may see.
    """
    CREATE TRIGGER shares_changed AFTER INSERT OR UPDATE OR DELETE ON m2bridge.shares
    FOR EACH STATEMENT EXECUTE FUNCTION m2bridge.sessions_changed()
    """,
)

_BOOKKEEPING: tuple[LiteralString, ...] = (
    "CREATE SCHEMA IF NOT EXISTS m2bridge",
    """
    CREATE TABLE IF NOT EXISTS m2bridge.migrations (
        version integer PRIMARY KEY,
        applied timestamptz NOT NULL DEFAULT now(),
        applied_by name NOT NULL DEFAULT current_user
    )
    """,
    # Every table has row-level security; this one holds no user's data, so every role may read it
    # (to learn the version), and only the migrating role, which owns it, may write it.
    "ALTER TABLE m2bridge.migrations ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE m2bridge.migrations FORCE ROW LEVEL SECURITY",
    """
    DO $$ BEGIN
        IF NOT EXISTS (
            SELECT 1 FROM pg_policies WHERE schemaname = 'm2bridge' AND tablename = 'migrations'
        ) THEN
            CREATE POLICY everyone_reads ON m2bridge.migrations FOR SELECT USING (true);
            CREATE POLICY owner_records ON m2bridge.migrations FOR INSERT WITH CHECK (true);
        END IF;
    END $$
    """,
    "GRANT USAGE ON SCHEMA m2bridge TO PUBLIC",
    "GRANT SELECT ON m2bridge.migrations TO PUBLIC",
)


def _run(statements: tuple[LiteralString, ...]) -> Callable[[psycopg.Connection[tuple[object, ...]]], None]:
    def step(conn: psycopg.Connection[tuple[object, ...]]) -> None:
        for statement in statements:
            conn.execute(statement)

    return step


MIGRATIONS: list[Callable[[psycopg.Connection[tuple[object, ...]]], None]] = [_run(_V1), _run(_V2)]
SCHEMA_VERSION = len(MIGRATIONS)


def _read_version(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    found = conn.execute("SELECT to_regclass('m2bridge.migrations') IS NOT NULL").fetchone()
    if found is None or not found[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM m2bridge.migrations").fetchone()
    return int(str(row[0])) if row is not None else 0


class SchemaNeedsOwner(SessionError):
    """An older schema another role owns: only that role may upgrade it."""

    code = "session_store_needs_upgrade"


def check_version(conn: psycopg.Connection[tuple[object, ...]], where: str) -> int:
    """The schema version, refusing (without writing anything) a database from a newer m2bridge."""
    version = _read_version(conn)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the session store {where} was written by a newer m2bridge (schema version {version}; "
            f"this m2bridge knows up to version {SCHEMA_VERSION}). Upgrade m2bridge to use it; "
            "it has been left untouched."
        )
    return version


def migrate(conn: psycopg.Connection[tuple[object, ...]], where: str) -> None:
    """Bring the schema up to date in one transaction (`conn` in autocommit mode)."""
    with conn.transaction():
        if check_version(conn, where) == SCHEMA_VERSION:
            return
    # Two processes starting at once: the second waits here, then finds the work done. The lock is
    # taken before the migrating transaction starts, not inside it (pg_advisory_xact_lock): a
    # transaction that waited for the lock could still look names up in the catalog as it was
    # before the other's migration committed, and create the tables a second time. A session lock
    # dies with its connection, so a process killed half-way leaves no lock behind.
    import psycopg.errors

    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    version = 0
    try:
        with conn.transaction():
            version = check_version(conn, where)
            if version == SCHEMA_VERSION:
                return
            _run(_BOOKKEEPING)(conn)
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                step(conn)
                conn.execute("INSERT INTO m2bridge.migrations (version) VALUES (%s)", (number,))
    except psycopg.errors.InsufficientPrivilege:
        if version == 0:
            raise
        # Only the role that owns the schema may change it; the others wait for it to open the store once.
        raise SchemaNeedsOwner(
            f"the session store {where} is at schema version {version} and this m2bridge needs version "
            f"{SCHEMA_VERSION}; only the role that owns the m2bridge schema can upgrade it: run any "
            "m2bridge command on the store as that role once (e.g. `m2bridge sessions list`), then try "
            "again. Nothing was changed."
        ) from None
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
