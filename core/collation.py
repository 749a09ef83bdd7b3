"""Names sorted the French way ("Hélesmes" before "Hordain", "Émerchicourt" among the E), in SQL
on both databases: `.order_by(french("name"))`.

PostgreSQL sorts with its ICU collation "fr-x-icu". SQLite has no such collation: each connection
gets one named "fr" (registered when it opens, `sqlite_collation_connect`), which compares names
without their accents and case first, then as written.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import F
from django.db.models.functions import Collate

POSTGRESQL_COLLATION = "fr-x-icu"
SQLITE_COLLATION = "fr"


def french_key(text: str) -> tuple[str, str]:
    """The sort key of a name: without accents nor case, then as written (a stable order)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return (bare.casefold().replace("œ", "oe").replace("æ", "ae"), text)


def _sqlite_compare(left: str, right: str) -> int:
    a, b = french_key(left), french_key(right)
    return (a > b) - (a < b)


class FrenchCollate(Collate):
    """`expression COLLATE <the French collation of the database in use>`."""

    def __init__(self, expression) -> None:
        super().__init__(expression, POSTGRESQL_COLLATION)

    def as_sql(self, compiler, connection, **extra_context):
        name = SQLITE_COLLATION if connection.vendor == "sqlite" else POSTGRESQL_COLLATION
        extra_context["collation"] = connection.ops.quote_name(name)
        return super().as_sql(compiler, connection, **extra_context)


def french(field: str, *, descending: bool = False):
    """An order_by() term sorting `field` (a text field, or a path to one) the French way."""
    term = FrenchCollate(F(field))
    return term.desc() if descending else term.asc()


def _register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_collation(SQLITE_COLLATION, _sqlite_compare)


def sqlite_collation_connect() -> None:
    """Give every new SQLite connection the "fr" collation (called in CoreConfig.ready)."""
    connection_created.connect(_register, dispatch_uid="core.collation.sqlite")
