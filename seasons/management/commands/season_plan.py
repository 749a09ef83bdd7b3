from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import user_get_by_email
from seasons.models import Campaign
from seasons.services import plan_run


class Command(BaseCommand):
    help = (
        "Make the plan of a closed season campaign (the optimiser, then an explanation per "
        "wish), as a person who runs it. The same inputs and seed give the same plan."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("campaign", type=int, help="the campaign's id")
        parser.add_argument("--actor", required=True, help="e-mail of a person who runs it")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options) -> None:
        actor = user_get_by_email(options["actor"])
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        if actor is None or campaign is None:
            raise CommandError("Unknown campaign or person.")
        try:
            run = plan_run(campaign=campaign, actor=actor, seed=options["seed"])
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(str(exc) or "Not allowed.") from exc
        self.stdout.write(
            f"Plan {run.pk}: {run.status}, {run.met_count}/{run.wishes_count} demandes "
            f"satisfaites en {run.seconds:.2f} s (empreinte {run.inputs_hash[:12]})."
        )
