"""The session store on PostgreSQL (`M2BRIDGE_DATABASE_URL`): psycopg 3, imported only when used."""

__all__: list[str] = []
