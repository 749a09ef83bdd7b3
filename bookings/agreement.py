"""The occupancy agreement as a document: an accessible PDF in French with its legal mentions.

The text itself is in templates/pdf/agreement.html (always French: it is a French legal act);
this module gathers what it prints — parties and identifiers, spaces, regime, fee or free use
and its legal basis, the valuation of the in-kind aid (art. 9-1 loi 2000-321) — and formats
amounts the French way.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.timezone import localtime
from django.utils.translation import override

from accounts.models import EssFamily
from bookings.allocations import allocation_annual_value_cents, allocation_value_cents
from bookings.models import Allocation, AllocationStatus, FreeUseBasis, LegalRegime
from bookings.rules import reference_rent_cents_per_year
from core.pdf import render_pdf
from spaces.models import Space

NBSP = "\u00a0"
# The CER binds associations and foundations asking for any subsidy, cash or in kind.
CER_FAMILIES = frozenset({EssFamily.ASSOCIATION, EssFamily.FOUNDATION})
# Above this yearly total of aid, a convention d'objectifs is compulsory (loi 2000-321 art. 10).
OBJECTIVES_AGREEMENT_THRESHOLD_CENTS = 23_000_00


def euros_fr(cents: int) -> str:
    """1234.56 € written the French way: « 1 234,56 € » (no-break spaces)."""
    sign = "−" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", NBSP)
    return f"{sign}{grouped},{hundredths:02d}{NBSP}€"


def surface_fr(value: Decimal) -> str:
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text}{NBSP}m²"


def date_fr(day: date | None) -> str:
    if day is None:
        return ""
    with override("fr"):
        text = date_format(day, "j F Y")
    return f"1er{text[1:]}" if day.day == 1 else text  # « le 1er mars »


@dataclass(frozen=True)
class SpaceLine:
    space: Space
    address: str
    surface: str
    rent_per_m2: str | None
    rental_value: str | None


def _space_lines(spaces: list[Space]) -> list[SpaceLine]:
    lines = []
    for space in spaces:
        site = space.site
        address = site.address_line
        if site.address_complement:
            address += f", {site.address_complement}"
        address += f", {site.postcode} {site.commune.name}"
        rent = space.reference_rent
        lines.append(
            SpaceLine(
                space=space,
                address=address,
                surface=surface_fr(space.surface_m2),
                rent_per_m2=euros_fr(int(rent * 100)) if rent is not None else None,
                rental_value=(
                    euros_fr(
                        reference_rent_cents_per_year(
                            rent_per_m2_year=rent, surface_m2=space.surface_m2
                        )
                    )
                    if rent is not None
                    else None
                ),
            )
        )
    return lines


def _free_use_text(allocation: Allocation) -> str:
    reference = allocation.free_use_reference
    if allocation.free_use_basis == FreeUseBasis.L2125_1:
        text = (
            "à titre gratuit, par dérogation au principe de la redevance, en application de "
            "l'article L2125-1 du code général de la propriété des personnes publiques "
            "(association à but non lucratif concourant à la satisfaction d'un intérêt général)"
        )
        return f"{text} ; {reference}" if reference else text
    if allocation.free_use_basis == FreeUseBasis.L2125_1_2:
        return (
            "à titre gratuit, en application de l'article L2125-1-2 du code général de la "
            "propriété des personnes publiques (loi n° 2024-344 du 15 avril 2024), par "
            f"délibération du conseil municipal : {reference}"
        )
    return f"à titre gratuit, pour le motif suivant : {reference}"


def _signed_on(allocation: Allocation) -> date | None:
    for entry in allocation.log.all():
        if entry.to_status == AllocationStatus.SIGNED:
            return localtime(entry.created_at).date()
    return None


def agreement_title(allocation: Allocation) -> str:
    if allocation.legal_regime == LegalRegime.PUBLIC_DOMAIN:
        kind = "Autorisation d’occupation temporaire du domaine public"
    else:
        kind = "Convention d’occupation précaire du domaine privé"
    return f"{kind} n° {allocation.pk}"


def agreement_context(allocation: Allocation) -> dict:
    """What the agreement prints. `allocation` comes from selectors.allocation_detail."""
    spaces = list(allocation.spaces.all())
    end = allocation.terminated_on or allocation.end
    last_day = end - timedelta(days=1)
    rental_value_cents = sum(
        reference_rent_cents_per_year(
            rent_per_m2_year=space.reference_rent, surface_m2=space.surface_m2
        )
        for space in spaces
        if space.reference_rent is not None
    )
    years = [
        (year, euros_fr(allocation_value_cents(allocation=allocation, year=year)))
        for year in range(allocation.start.year, max(last_day.year, allocation.start.year) + 1)
    ]
    structure = allocation.structure
    return {
        "allocation": allocation,
        "title": agreement_title(allocation),
        "is_public_domain": allocation.legal_regime == LegalRegime.PUBLIC_DOMAIN,
        "is_draft": allocation.status in (AllocationStatus.OFFERED, AllocationStatus.ACCEPTED),
        "is_declined": allocation.status == AllocationStatus.DECLINED,
        "owner": allocation.owner,
        "structure": structure,
        "structure_family": EssFamily(structure.ess_family).label if structure.ess_family else "",
        "cer_required": structure.ess_family in CER_FAMILIES,
        "is_association": structure.ess_family == EssFamily.ASSOCIATION,
        "spaces": _space_lines(spaces),
        "rent_missing": any(space.reference_rent is None for space in spaces),
        "total_surface": surface_fr(sum((space.surface_m2 for space in spaces), Decimal(0))),
        "start": date_fr(allocation.start),
        "last_day": date_fr(allocation.end - timedelta(days=1)),
        "terminated_on": date_fr(allocation.terminated_on),
        "is_free": bool(allocation.free_use_basis),
        "free_use_text": _free_use_text(allocation) if allocation.free_use_basis else "",
        "fee": euros_fr(allocation.annual_fee_cents),
        "deposit": euros_fr(allocation.deposit_cents) if allocation.deposit_cents else "",
        "rental_value": euros_fr(rental_value_cents),
        "annual_value": euros_fr(allocation_annual_value_cents(allocation=allocation)),
        "yearly_values": years,
        "threshold": euros_fr(OBJECTIVES_AGREEMENT_THRESHOLD_CENTS),
        "insurance_valid_until": date_fr(allocation.insurance_valid_until),
        "house_rules_accepted_on": date_fr(
            localtime(allocation.house_rules_accepted_at).date()
            if allocation.house_rules_accepted_at
            else None
        ),
        "signed_on": date_fr(_signed_on(allocation)),
        "renews": allocation.renews,
        "direct_reason": allocation.direct_reason,
    }


def agreement_pdf(allocation: Allocation) -> bytes:
    """The agreement as a tagged PDF (PDF/UA) in French."""
    return render_pdf(
        "pdf/agreement.html",
        agreement_context(allocation),
        title=agreement_title(allocation),
        author=allocation.owner.name,
    )


def agreement_filename(allocation: Allocation) -> str:
    """convention-12-mobilite-solidaire.pdf: ASCII only, safe in a Content-Disposition header."""
    name = slugify(allocation.structure.name)[:60].strip("-") or "structure"
    return f"convention-{allocation.pk}-{name}.pdf"
