"""`manage.py import_inventory FILE --as EMAIL [--dry-run]`: the inventory import from a shell.

The same service as the web page (spaces.services.inventory_import), as the person named by
--as, so their permissions apply. Prints each line that is not unchanged, then a summary; the
progress bar goes to stderr. Exit status 0 when the file was imported (or, with --dry-run,
could be), 1 when a line is refused or the file cannot be read (nothing written).
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from tqdm import tqdm

from accounts.models import User
from spaces.imports import ImportRefused, Outcome, Plan
from spaces.services import inventory_import


class Command(BaseCommand):
    help = "Import sites and spaces from a CSV or XLSX inventory (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="email", required=True, help="The importing person.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )

    def handle(self, *args, file: Path, email: str, dry_run: bool, **options) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            self._import(file, email, dry_run, options.get("verbosity", 1))

    def _import(self, path: Path, email: str, dry_run: bool, verbosity: int) -> None:
        actor = User.objects.filter(email__iexact=email, is_active=True).first()
        if actor is None:
            raise CommandError(
                _("No active account uses the address %(email)s.") % {"email": email}
            )
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(_("The file cannot be opened: %(error)s") % {"error": exc}) from exc
        with (
            handle,
            tqdm(
                unit=" " + _("line"),
                desc=_("Checking"),
                disable=verbosity == 0,
                file=self.stderr._out,
            ) as bar,
        ):

            def progress(done: int, total: int) -> None:
                bar.total = total  # known once the file is read
                bar.update(done - bar.n)

            try:
                plan = inventory_import(
                    actor=actor, file=handle, dry_run=dry_run, progress=progress
                )
            except ImportRefused as exc:
                raise CommandError(exc.message) from exc
            except PermissionDenied as exc:
                raise CommandError(
                    _("%(email)s may not import premises.") % {"email": email}
                ) from exc
        self._report(plan)
        if plan.refused:
            raise CommandError(
                _("%(count)s line(s) refused: nothing was imported.")
                % {"count": plan.count(Outcome.REFUSED)}
            )
        self.stdout.write(_("Dry run: nothing was written.") if dry_run else _("Import done."))

    def _report(self, plan: Plan) -> None:
        for note in plan.notes:
            self.stdout.write(note)
        for line in plan.lines:
            if line.outcome == Outcome.UNCHANGED:
                continue
            detail = "; ".join(line.reasons or line.changes)
            self.stdout.write(
                f"{_('Line')} {line.number} — {line.site} / {line.space} : "
                f"{line.outcome_label}{' (' + detail + ')' if detail else ''}"
            )
        counts = plan.counts
        self.stdout.write(
            _(
                "Created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s, refused: %(refused)s."
            )
            % counts
        )
