from datetime import datetime, time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.selectors import organisations_of
from bookings.forms import AvailabilitySearchForm
from bookings.selectors import local_zone
from portal import selectors
from spaces.selectors import (
    catalogue_sites,
    site_owners_for,
    widget_organisations_manageable_by,
)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The public's landing page. Signed-in people land on their dashboard instead: "/" is
    where the brand link and habits lead, and their work is there (docs/decisions.md)."""
    if request.user.is_authenticated:
        return redirect("portal:dashboard")
    sites = catalogue_sites(request.user).filter(is_published=True)
    return render(
        request,
        "portal/home.html",
        {
            "site_count": sites.count(),
            "latest_sites": sites.order_by("-created_at")[:3],
            "search_form": AvailabilitySearchForm(),
        },
    )


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    contact = {"contact_email": settings.CONTACT_EMAIL, "contact_phone": settings.CONTACT_PHONE}
    return render(request, "portal/accessibility.html", contact)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each role's daily work, most actionable first: the requests to decide, what awaits the
    requester's action, the week on the sites, the next bookings… A person with several roles
    sees each role's sections. Every section costs a fixed number of queries."""
    user, roles = request.user, selectors.request_roles(request)
    now = timezone.now()
    today = timezone.localdate(now, local_zone())
    context: dict = {"roles": roles, "pending_count": selectors.request_pending_count(request)}
    if roles.requester:
        context |= {
            "next_bookings": selectors.occupancies_next_of_requester(user, now=now),
            "payments_due": selectors.payments_due_of(user, now=now),
            "agreements_to_answer": selectors.agreements_to_answer_of(user),
            "applications_to_complete": selectors.applications_to_complete_of(user),
            "search_form": AvailabilitySearchForm(),
        }
    if roles.decides:
        context["requests_to_decide"] = selectors.requests_to_decide_of(user)
    if roles.manager or roles.commune:
        week = list(
            selectors.occupancies_week_on_sites_of(
                user, start=datetime.combine(today, time.min, tzinfo=local_zone())
            )
        )
        context |= {
            "today": today,
            "today_bookings": [o for o in week if _local_day(o.start) == today],
            "week_bookings": [o for o in week if _local_day(o.start) != today],
            "sites": selectors.sites_looked_after_by(user),
        }
    if roles.commune:
        context["vacancies"] = selectors.spaces_vacant_of(user, today=today)
    if roles.commune or roles.territory:
        context["calls_in_progress"] = selectors.calls_in_progress_of(user)
    if roles.territory:
        context |= {
            "structures_to_verify": selectors.structures_to_verify(),
            "lapsing_soon": selectors.requests_lapsing_soon_count(user, now=now),
            "agreements_ending": selectors.agreements_ending_soon_of(user, today=today),
        }
    context |= {
        "organisations": organisations_of(user)
        .annotate(
            manages_widget=Exists(
                widget_organisations_manageable_by(user).filter(pk=OuterRef("pk"))
            )
        )
        .order_by("name"),
        "can_list_sites": site_owners_for(user).exists() if roles.decides else False,
    }
    return render(request, "portal/dashboard.html", context)


def _local_day(moment: datetime):
    return moment.astimezone(local_zone()).date()
