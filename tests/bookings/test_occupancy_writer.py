"""One module writes Occupancy (`bookings/services/occupancy.py`); one spells the overlap test.

The scan reads the syntax trees of the application code (not the tests, the migrations, nor
`bench/`, which fills a throwaway database in bulk) and reports every call that writes the
table: a manager or queryset of `Occupancy` or of a related `occupancies` manager, followed by
a write (`create`, `bulk_create`, `update`, `delete`, `save`, …), a row read from one of them
(through variables, loops, comprehensions, `list()`/`sorted()`, or a name or an annotation that
says it is an occupancy) being saved or deleted, an `Occupancy(...)` built, or raw SQL writing
`bookings_occupancy`. A row reached through another object's attribute, or a tuple unpacked
from a call, escapes it: the scan is a guard against the reasonable spellings, not a proof.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "bookings" / "services" / "occupancy.py"
OVERLAP = ROOT / "bookings" / "selectors" / "overlap.py"
SKIPPED_DIRS = {"tests", "migrations", "bench", "node_modules", "static", "__pycache__"}

WRITES = {
    "create",
    "bulk_create",
    "update",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_update",
    "save",
    "save_base",
    "_do_update",
    "_raw_delete",
    "_update",
    "_insert",
    "_batched_insert",
}
# Calls that return the same kind of thing: rows of a queryset, or the rows themselves.
PASS_THROUGH = {
    "all",
    "filter",
    "exclude",
    "order_by",
    "select_related",
    "prefetch_related",
    "select_for_update",
    "only",
    "defer",
    "annotate",
    "alias",
    "distinct",
    "using",
    "reverse",
    "none",
    "union",
    "intersection",
    "difference",
    "values",
    "values_list",
    "get",
    "first",
    "last",
    "latest",
    "earliest",
    "iterator",
    "pop",
}
CONTAINERS = {"list", "sorted", "tuple", "set", "reversed", "iter", "next", "frozenset"}
RELATED = {"occupancies", "occupancy_set"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}
RAW_WRITE = re.compile(r"\b(insert\s+into|update|delete\s+from)\b[^;]*\bbookings_occupancy\b", re.I)


def _names_occupancy(name: str) -> bool:
    return name == "Occupancy" or "occupanc" in name.lower()


def _is_rows(node: ast.AST, rows: set[str]) -> bool:
    """Whether `node` evaluates to Occupancy rows, a manager or a queryset of them."""
    match node:
        case ast.Name(id=name):
            return name in rows or _names_occupancy(name)
        case ast.Attribute(value=value, attr=attr):
            return attr in RELATED or (attr in MANAGERS and _is_rows(value, rows))
        case ast.Call(func=ast.Name(id=name), args=args):
            if name in CONTAINERS:
                return any(_is_rows(arg, rows) for arg in args)
            return _names_occupancy(name)  # Occupancy(...), occupancies_overlapping(...)
        case ast.Call(func=ast.Attribute(value=value, attr=attr)):
            return (attr in PASS_THROUGH and _is_rows(value, rows)) or "occupanc" in attr
        case ast.Subscript(value=value) | ast.Starred(value=value):
            return _is_rows(value, rows)
        case ast.IfExp(body=body, orelse=orelse):
            return _is_rows(body, rows) or _is_rows(orelse, rows)
        case ast.BoolOp(values=values):
            return any(_is_rows(value, rows) for value in values)
        case (
            ast.ListComp(elt=elt, generators=generators)
            | ast.SetComp(elt=elt, generators=generators)
            | ast.GeneratorExp(elt=elt, generators=generators)
        ):
            bound = set(rows)
            for generator in generators:
                if _is_rows(generator.iter, bound):
                    bound |= _target_names(generator.target)
            return _is_rows(elt, bound)
    return False


def _target_names(target: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(target) if isinstance(node, ast.Name)}


def _annotated_rows(annotation: ast.AST | None) -> bool:
    return annotation is not None and "Occupancy" in ast.unparse(annotation)


def _rows_names(scope: ast.AST) -> set[str]:
    """The names that hold Occupancy rows in `scope` (to a fixed point)."""
    rows: set[str] = set()
    while True:
        found = set(rows)
        for node in ast.walk(scope):
            if isinstance(node, ast.arg) and _annotated_rows(node.annotation):
                found.add(node.arg)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if _annotated_rows(node.annotation) or (
                    node.value is not None and _is_rows(node.value, rows)
                ):
                    found.add(node.target.id)
            elif isinstance(node, ast.Assign) and _is_rows(node.value, rows):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.add(target.id)
            elif isinstance(node, ast.NamedExpr) and _is_rows(node.value, rows):
                found.add(node.target.id)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension) and _is_rows(
                node.iter, rows
            ):
                found |= _target_names(node.target)
            elif (
                isinstance(node, ast.withitem)
                and node.optional_vars is not None
                and _is_rows(node.context_expr, rows)
            ):
                found |= _target_names(node.optional_vars)
        if found == rows:
            return rows
        rows = found


def occupancy_writes(source: str) -> list[str]:
    """The lines of `source` that write Occupancy rows, as "line: code"."""
    tree = ast.parse(source)
    scope_of: dict[ast.AST, ast.AST] = {}
    for scope in ast.walk(tree):
        if scope is tree or isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(scope):
                scope_of[node] = scope  # the innermost function wins: visited last
    rows_in = {scope: _rows_names(scope) for scope in set(scope_of.values())}
    found = []
    for node in ast.walk(tree):
        rows = rows_in[scope_of[node]]
        hit = False
        if isinstance(node, ast.Call):
            func = node.func
            hit = (
                isinstance(func, ast.Attribute)
                and func.attr in WRITES
                and _is_rows(func.value, rows)
            ) or (isinstance(func, ast.Name) and func.id == "Occupancy")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            hit = bool(RAW_WRITE.search(node.value))
        if hit:
            found.append(f"{node.lineno}: {ast.get_source_segment(source, node)}")
    return found


def _application_modules() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not any(
            part in SKIPPED_DIRS or part.startswith(".")
            for part in path.relative_to(ROOT).parts[:-1]
        )
    )


def test_only_bookings_services_occupancy_writes_the_occupancy_table():
    modules = _application_modules()
    assert WRITER in modules
    assert len(modules) > 100  # the walk found the application, not an empty folder
    stray = {
        str(path.relative_to(ROOT)): writes
        for path in modules
        if path != WRITER and (writes := occupancy_writes(path.read_text()))
    }
    assert stray == {}, "Occupancy is written only by bookings/services/occupancy.py"


def test_the_scan_sees_the_writes_of_the_writer_module():
    writes = "\n".join(occupancy_writes(WRITER.read_text()))
    for write in ["bulk_create", ".update(", "row.delete()", "Occupancy.objects.create("]:
        assert write in writes


STRAY_WRITES = {
    "manager create": "Occupancy.objects.create(space=space, start=a, end=b)",
    "bulk create": "Occupancy.objects.bulk_create([])",
    "default manager": "Occupancy._default_manager.filter(pk=1).delete()",
    "queryset update": "Occupancy.objects.filter(active=True).update(active=False)",
    "multi-line chain": "(\n    Occupancy.objects\n    .filter(pk=1)\n    .exclude(pk=2)\n    .update(x=1)\n)",
    "related manager": "booking.occupancies.filter(active=True).update(active=False)",
    "related manager delete": "space.occupancies.all().delete()",
    "update or create": "Occupancy.objects.update_or_create(pk=1, defaults={})",
    "bulk update": "Occupancy.objects.bulk_update(rows, ['end'])",
    "instance save": "occupancy.save()",
    "instance save, other name": "row = Occupancy.objects.get(pk=1)\nrow.end = e\nrow.save()",
    "queryset in a variable": "rows = allocation.occupancies.filter(active=True)\n"
    "rows.filter(start__gte=cut).update(active=False)",
    "row of a loop": "for row in Occupancy.objects.filter(kind='closure'):\n    row.delete()",
    "annotated parameter": "def lift(rows: list[Occupancy]):\n"
    "    for row in sorted(rows, key=key):\n        row.delete()",
    "comprehension": "[row.save() for row in booking.occupancies.all()]",
    "walrus": "if (first := booking.occupancies.first()):\n    first.delete()",
    "selector result": "occupancies_overlapping(spaces=s, periods=p).update(active=False)",
    "selector through a module": "list(selectors.occupancies_blocking_allocation(allocation=a))"
    "[0].delete()",
    "new instance": "row = Occupancy(space=space, start=a, end=b)",
    "raw SQL": "cursor.execute('UPDATE bookings_occupancy SET active = false')",
    "raw SQL insert": 'cursor.execute("insert into bookings_occupancy (start) values (%s)")',
}


@pytest.mark.parametrize("source", STRAY_WRITES.values(), ids=STRAY_WRITES.keys())
def test_the_scan_finds_a_stray_write(source):
    assert occupancy_writes(source)


READS = {
    "queryset read": "rows = list(Occupancy.objects.filter(active=True).order_by('start'))",
    "related read": "booking.occupancies.filter(active=True).values_list('start', flat=True)",
    "row's booking saved": "for row in rows_of(x):\n    row.booking.save()",
    "booking of a row": "for row in booking.occupancies.all():\n    row.booking.save()",
    "other model": "Booking.objects.filter(pk=1).update(status='x')",
    "dict update": "by_booking: dict[int, str] = {}\nby_booking.update(a=1)",
    "raw SQL read": "cursor.execute('SELECT start FROM bookings_occupancy')",
}


@pytest.mark.parametrize("source", READS.values(), ids=READS.keys())
def test_the_scan_leaves_reads_alone(source):
    assert occupancy_writes(source) == []


def test_only_the_overlap_selector_compares_blocked_until():
    """The buffered overlap test (a row blocks [start, blocked_until)) is spelled once (the
    model's check constraint `blocked_until >= end` is no overlap test)."""
    lookup = re.compile(r"blocked_until__(gt|lt|range|overlap)\b")
    spelled = {
        str(path.relative_to(ROOT))
        for path in _application_modules()
        if lookup.search(path.read_text())
    }
    assert spelled == {"bookings/selectors/overlap.py"}
