"""The public-accounting export: the billing lines of an owner that collects through the public
accountant, for its finance department (404 for anyone who may not export them)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.exports import table_response
from payments.selectors import accounting_owners_for, billing_lines
from reports.forms import BillingPeriodForm
from reports.rules import cents_to_decimal


@login_required
@require_GET
def accounting_csv(request: HttpRequest, owner_pk: int) -> HttpResponse:
    """Billing lines of an owner that collects through the public accountant, for its finance
    department to issue the titres de recettes: confirmed bookings with a fee and the months of
    agreements with a fee in a period (?debut=YYYY-MM-DD&fin=YYYY-MM-DD, the current month by
    default). The reference column holds RES-<booking> or CONV-<agreement>; its name is kept
    for the spreadsheets already set up on it. A booking made in a time an agreement's occupant
    shares (issue 17) names that occupant and its share of the amount, in the last columns
    (empty on the other lines)."""
    owner = get_object_or_404(accounting_owners_for(request.user), pk=owner_pk)
    today = timezone.localdate()
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    form = BillingPeriodForm(
        {
            "debut": request.GET.get("debut") or month_start.isoformat(),
            "fin": request.GET.get("fin") or (next_month - timedelta(days=1)).isoformat(),
        }
    )
    if not form.is_valid():
        errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    first_day, last_day = form.cleaned_data["debut"], form.cleaned_data["fin"]
    header = [
        "debiteur",
        "siret",
        "rna",
        "montant_eur",
        "date_debut",
        "date_fin",
        "reference_reservation",
        "locaux",
        "creancier",
        "siret_creancier",
        "detail",
        "occupant",
        "siret_occupant",
        "part_occupant_eur",
    ]
    rows = [
        [
            line.debtor.name,
            line.debtor.siret,
            line.debtor.rna,
            cents_to_decimal(line.amount_cents),
            line.first_day,
            line.last_day,
            line.reference,
            line.label,
            owner.name,
            owner.siret,
            line.rule,
            line.occupant.name if line.occupant else "",
            line.occupant.siret if line.occupant else "",
            cents_to_decimal(line.occupant_cents) if line.occupant else "",
        ]
        for line in billing_lines(owner=owner, first_day=first_day, last_day=last_day)
    ]
    filename = f"titres_{owner.pk}_{first_day.isoformat()}_{last_day.isoformat()}.csv"
    return table_response(request.GET, filename, header, rows)
