"""Telling a database URL from a file path, and showing a URL without its password."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["hide_password", "is_database_url"]

_SCHEMES = ("postgresql", "postgres")


def is_database_url(location: str) -> bool:
    """Whether `location` names a PostgreSQL database (rather than an SQLite file)."""
    return urlsplit(location).scheme.lower() in _SCHEMES


def hide_password(url: str) -> str:
    """`url` fit for a message or a log: the password (in the user part or a `password` parameter)
    replaced by `***`. Anything that does not parse as a URL is not shown at all."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            auth, _, hosts = netloc.rpartition("@")
            user, colon, _ = auth.partition(":")
            netloc = f"{user}{':***' if colon else ''}@{hosts}"
        query = urlencode(
            [(k, "***" if k.lower() == "password" else v) for k, v in parse_qsl(parts.query)], safe="*"
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "(a database URL that does not parse)"
