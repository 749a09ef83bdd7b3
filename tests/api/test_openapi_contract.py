"""The API's contract is committed: docs/openapi.yaml is what the code generates, byte for byte.

Any change to an operation, a parameter or a body shows in the diff of a pull request and is
made on purpose (docs/api.md, "Keeping the contract"). The schema is generated in English (the
code's own strings: a new French translation is not a change of contract), and it holds no date,
host or database-dependent value: the same file on SQLite and PostgreSQL, on any machine.
"""

import difflib
import io
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

CONTRACT = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
REGENERATE = "make schema"
DIFF_LINES = 80  # enough to see what changed; `make schema` then `git diff` shows the rest


def generated_schema(tmp_path: Path) -> str:
    """What `make schema` writes (drf-spectacular's own command, in process)."""
    output = tmp_path / "openapi.yaml"
    call_command("spectacular", "--lang", "en", "--file", str(output), stderr=io.StringIO())
    return output.read_text(encoding="utf-8")


def test_the_committed_schema_is_what_the_code_generates(tmp_path):
    committed = CONTRACT.read_text(encoding="utf-8")
    generated = generated_schema(tmp_path)

    if generated != committed:
        diff = list(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                fromfile="docs/openapi.yaml (committed)",
                tofile="docs/openapi.yaml (generated from the code)",
                n=2,
            )
        )
        shown = "".join(diff[:DIFF_LINES])
        more = f"\n… {len(diff) - DIFF_LINES} more diff lines" if len(diff) > DIFF_LINES else ""
        raise AssertionError(
            f"The API contract changed. If the change is deliberate, run `{REGENERATE}`, review "
            "`git diff docs/openapi.yaml` and commit it; a breaking change goes to /api/v2/ "
            f'(docs/api.md, "Keeping the contract").\n\n{shown}{more}'
        )


def test_the_schema_holds_no_date_host_or_machine_value():
    committed = CONTRACT.read_text(encoding="utf-8")

    assert "servers:" not in committed  # no host: the client knows where it sends requests
    for leak in ("localhost", "127.0.0.1", "example.fr", str(settings.BASE_DIR)):
        assert leak not in committed, leak
    assert committed.endswith("\n")
