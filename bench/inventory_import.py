"""How long the inventory import takes for 10,000 lines (issue 15: under a minute), in process.

Builds a territory of one commune with its staff, writes a 10,000-line CSV (1,000 sites of 10
spaces), then times through `manage.py import_inventory` (the service, the file read, the
report): the dry run, the import (all created), the same file again (all unchanged) and the
file with every surface changed (all updated). Seconds, and the number of queries.

    python -m bench.inventory_import [--lines 10000]                       # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.inventory_import

It creates (and drops) a test database named `test_bench_inventory_import` (a file in /tmp for
SQLite).
"""

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import django


def _say(*parts: str) -> None:
    sys.stdout.write(" ".join(parts) + "\n")


def _csv(lines: int, surface: str) -> bytes:
    from spaces.imports import COLUMNS

    rows = [";".join(COLUMNS)]
    for n in range(lines):
        values = {
            "identifiant": f"B-{n}",
            "code_insee": "59172",
            "site": f"Bâtiment {n // 10}",
            "numero": str(n // 10 % 9999 + 1),
            "voie": "rue Jean-Jaurès",
            "code_postal": "59220",
            "latitude": "50.3289",
            "longitude": "3.3956",
            "erp_types": "L, W",
            "erp_categorie": "5",
            "espace": f"Salle {n % 10}",
            "type_espace": "Salle de réunion",
            "etage": str(n % 3),
            "surface_m2": surface,
            "capacite": "20",
            "loyer_reference": "45,00",
        }
        rows.append(";".join(values.get(column, "") for column in COLUMNS))
    return ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "true")
    if "DATABASE_URL" not in os.environ:
        os.environ["TEST_DATABASE_NAME"] = str(Path(tempfile.gettempdir()) / "bench_import.db")
    else:
        os.environ.setdefault("TEST_DATABASE_NAME", "test_bench_inventory_import")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries

    from accounts.models import Membership, MembershipRole, Organisation, User
    from spaces.models import Commune, EpciMembership, PostalCode, Space

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        epci = Organisation.objects.create(name="CAPH", kind="epci", siren="200042190")
        denain = Organisation.objects.create(name="Denain", kind="commune")
        commune = Commune.objects.create(insee_code="59172", name="Denain", organisation=denain)
        commune.postcodes.add(PostalCode.objects.create(code="59220"))
        EpciMembership.objects.create(epci=epci, commune=commune, start=date(2001, 1, 1))
        staff = User.objects.create_user(email="staff@bench.test", password="x" * 20)
        Membership.objects.create(user=staff, organisation=denain, role=MembershipRole.MEMBER)
        _say(f"database {connection.vendor}, {arguments.lines} lines")
        folder = Path(tempfile.mkdtemp())
        files = {
            "same": folder / "same.csv",
            "changed": folder / "changed.csv",
        }
        files["same"].write_bytes(_csv(arguments.lines, "42,5"))
        files["changed"].write_bytes(_csv(arguments.lines, "43"))
        for label, file, dry_run in [
            ("dry run (all to create)", "same", True),
            ("import (all created)", "same", False),
            ("same file again (all unchanged)", "same", False),
            ("every surface changed (all updated)", "changed", False),
        ]:
            options = ["--dry-run"] if dry_run else []
            connection.force_debug_cursor = True
            reset_queries()
            started = time.perf_counter()
            call_command(
                "import_inventory",
                str(files[file]),
                "--as",
                staff.email,
                *options,
                stdout=io.StringIO(),
                stderr=io.StringIO(),
                verbosity=0,
            )
            elapsed = time.perf_counter() - started
            queries = len(connection.queries)
            connection.force_debug_cursor = False
            _say(f"  {label}: {elapsed:.1f} s, {queries} queries")
        _say(f"  spaces in the base: {Space.objects.count()}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
