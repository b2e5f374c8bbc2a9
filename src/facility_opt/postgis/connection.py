"""PostGIS connections: recognising a database URL, naming it in messages (without its password),
importing the optional psycopg, and the error of a failed publish."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ..errors import FacilityOptError

DATABASE_URL_PREFIXES = ("postgresql://", "postgres://")


class PublishError(FacilityOptError):
    """Publishing a plan to PostGIS failed; nothing was published (the transaction was rolled back)."""


def is_database_url(source: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL given as a string."""
    return isinstance(source, str) and source.startswith(DATABASE_URL_PREFIXES)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _where(url: str) -> str:
    """A database as issues name it (no slashes: an issue shows the last part of a file path)."""
    parts = urlsplit(url)
    return f"database '{parts.path.lstrip('/')}' at {parts.hostname or 'localhost'}:{parts.port or 5432}"


def _psycopg():
    try:
        import psycopg
    except ImportError:  # the optional extra is not installed
        raise FacilityOptError("PostGIS support needs psycopg: pip install 'facility-opt[postgis]'") from None
    return psycopg


def _connect(url: str):
    return _psycopg().connect(url, connect_timeout=30)
