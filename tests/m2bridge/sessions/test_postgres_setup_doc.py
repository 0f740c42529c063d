"""docs/postgresql.md's one-time set-up works as written: its SQL, run as the DBA would, gives a database
where each person's m2bridge keeps its own sessions, with the grants either on PUBLIC or on the group."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from m2bridge.messages import UserTurn
from m2bridge.sessions.postgres.store import PostgresSessionStore
from tests.support.postgres import PostgresServer

DOC = Path(__file__).resolve().parents[3] / "docs" / "postgresql.md"


def sql_blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOC.read_text(), re.S)


def run_as_dba(server: PostgresServer, sql: str, database: str) -> None:
    with psycopg.connect(server.url(database=database), autocommit=True) as conn:
        for statement in (s.strip() for s in sql.split(";")):
            lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
            if "".join(lines).strip():
                conn.execute("\n".join(lines))  # type: ignore[arg-type]  # the documentation's own SQL


def test_the_documented_set_up_gives_each_person_their_own_sessions(postgres_server: PostgresServer):
    setup, group_grants = sql_blocks()
    run_as_dba(postgres_server, setup, "postgres")
    try:
        as_role = {
            name: postgres_server.url(name, password, "m2bridge")
            for name, password in (
                ("m2bridge_owner", "choose-one"),
                ("alice", "alice-chooses"),
                ("bob", "bob-chooses"),
            )
        }
        PostgresSessionStore(as_role["m2bridge_owner"], pool_size=1).close()  # the migrations, by the owner
        for grants in ("PUBLIC", "the group"):
            with (
                PostgresSessionStore(as_role["alice"], pool_size=1) as alice,
                PostgresSessionStore(as_role["bob"], pool_size=1) as bob,
            ):
                mine = alice.create(workspace="/a", protocol="anthropic", model="m")
                assert alice.append(mine.id, [UserTurn(text=f"via {grants}")], expected_head=0) == 1
                assert bob.list() == []
                alice.share(mine.id, "bob")
                assert bob.load(mine.id).turns[0].turn == UserTurn(text=f"via {grants}")
            if grants == "PUBLIC":
                run_as_dba(postgres_server, group_grants, "m2bridge")
        with psycopg.connect(postgres_server.url(database="m2bridge")) as conn:
            # Nobody but the group's members can reach the tables now.
            assert conn.execute(
                "SELECT has_table_privilege('public', 'm2bridge.sessions', 'SELECT')"
            ).fetchone() == (False,)
    finally:
        postgres_server.admin_sql("DROP DATABASE IF EXISTS m2bridge WITH (FORCE)")
        for role in ("alice", "bob", "m2bridge_users", "m2bridge_owner"):
            postgres_server.admin_sql(f"DROP ROLE IF EXISTS {role}")
