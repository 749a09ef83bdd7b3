"""The French catalogue is complete and its compiled .mo matches the .po.

Pure standard library, so it runs where GNU gettext is not installed. To refresh the catalogue:
  makemessages -l fr --ignore=.venv --ignore=staticfiles --ignore=tests --no-obsolete,
  translate, then compilemessages -l fr --ignore=.venv (commit the .po and the .mo).
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale" / "fr" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|\{(\w*)\}")


@dataclass
class Entry:
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def plural(self) -> str | None:
        return self.fields.get("msgid_plural")

    @property
    def context(self) -> str | None:
        return self.fields.get("msgctxt")

    @property
    def msgstrs(self) -> list[str]:
        if self.plural is None:
            return [self.fields.get("msgstr", "")]
        keys = sorted(k for k in self.fields if k.startswith("msgstr["))
        return [self.fields[k] for k in keys]

    def label(self) -> str:
        return repr(self.msgid if self.context is None else f"{self.context}|{self.msgid}")


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, the header included, obsolete (#~) entries left out."""
    entries: list[Entry] = []
    current = Entry()
    last: str | None = None

    def close() -> None:
        nonlocal current, last
        if current.fields:
            entries.append(current)
        current, last = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if last is not None:  # a comment after the strings starts a new entry
                close()
            current.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            if last is not None:
                close()
        elif line.startswith('"'):
            assert last is not None, f"continuation line without keyword: {raw!r}"
            current.fields[last] += ast.literal_eval(line)
        else:
            match = KEYWORD.match(line)
            assert match, f"unexpected line in {path.name}: {raw!r}"
            keyword, value = match.groups()
            if keyword in ("msgctxt", "msgid") and last is not None and last.startswith("msgstr"):
                close()
            current.fields[keyword] = ast.literal_eval(value)
            last = keyword
    close()
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing: run makemessages -l fr"
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid]


def test_po_has_no_untranslated_or_fuzzy_entry(entries, messages):
    header = next(entry for entry in entries if not entry.msgid)
    assert "Language: fr\n" in header.msgstrs[0]
    assert "charset=UTF-8" in header.msgstrs[0]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header.msgstrs[0]
    assert len(messages) > 100
    fuzzy = [entry.label() for entry in messages if "fuzzy" in entry.flags]
    untranslated = [
        entry.label()
        for entry in messages
        if not entry.msgstrs or any(not msgstr for msgstr in entry.msgstrs)
    ]
    plural_count = [entry.label() for entry in messages if entry.plural and len(entry.msgstrs) != 2]
    assert not fuzzy, f"fuzzy entries in django.po: {fuzzy}"
    assert not untranslated, f"untranslated entries in django.po: {untranslated}"
    assert not plural_count, f"plural entries without exactly 2 forms: {plural_count}"


def test_translations_keep_the_placeholders(messages):
    def names(text: str) -> set[str]:
        return {a or b for a, b in PLACEHOLDER.findall(text)}

    wrong = []
    for entry in messages:
        if not entry.flags & {"python-format", "python-brace-format"}:
            continue
        expected = names(entry.msgid) | names(entry.plural or "")
        wrong += [entry.label() for msgstr in entry.msgstrs if names(msgstr) != expected]
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_mo_is_compiled_from_the_current_po(messages):
    assert MO_PATH.exists(), f"{MO_PATH} is missing: run compilemessages -l fr"
    with MO_PATH.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog  # keys as the .mo stores them
    stale = []
    for entry in messages:
        key = entry.msgid if entry.context is None else f"{entry.context}\x04{entry.msgid}"
        if entry.plural is None:
            if catalog.get(key) != entry.msgstrs[0]:
                stale.append(entry.label())
        elif [catalog.get((key, n)) for n in range(len(entry.msgstrs))] != entry.msgstrs:
            stale.append(entry.label())
    assert not stale, f"django.mo is older than django.po, run compilemessages -l fr: {stale}"
