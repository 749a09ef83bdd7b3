"""The bench's environment: settings for Django, and its own PostgreSQL database (created and
dropped here; its name must contain "bench")."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/locaux_bench"
BENCH_SECRET_KEY = "bench-only-secret-key-never-used-in-production-0123456789abcdef"  # noqa: S105


def out(*parts: object) -> None:
    sys.stdout.write(" ".join(str(part) for part in parts) + "\n")
    sys.stdout.flush()


def configure_environment() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return url


def database_parts(url: str) -> dict:
    import dj_database_url

    parts = dj_database_url.parse(url)
    if "postgresql" not in parts["ENGINE"]:
        sys.exit(f"DATABASE_URL must point to PostgreSQL, not {parts['ENGINE']}")
    if "bench" not in parts["NAME"]:
        sys.exit(f"Refusing to create or drop {parts['NAME']!r}: its name must contain 'bench'.")
    return parts


def _admin_connection(parts: dict):
    import psycopg

    return psycopg.connect(
        host=parts["HOST"] or None,
        port=parts["PORT"] or None,
        user=parts["USER"] or None,
        password=parts["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def database_exists(parts: dict) -> bool:
    with _admin_connection(parts) as admin:
        row = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [parts["NAME"]]
        ).fetchone()
    return row is not None


def drop_database(parts: dict) -> None:
    from psycopg import sql

    with _admin_connection(parts) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(parts["NAME"]))
        )


def create_database(parts: dict) -> None:
    from psycopg import sql

    drop_database(parts)
    with _admin_connection(parts) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(parts["NAME"])))
