from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import (
    organisations_of,
    structures_awaiting_verification,
    user_is_territory_admin,
)
from bookings.selectors import bookings_pending_for
from spaces.selectors import catalogue_sites, site_owners_for, sites_manageable_by


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    sites = catalogue_sites(request.user).filter(is_published=True)
    return render(
        request,
        "portal/home.html",
        {"site_count": sites.count(), "latest_sites": sites.order_by("-created_at")[:3]},
    )


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    contact = {"contact_email": settings.CONTACT_EMAIL, "contact_phone": settings.CONTACT_PHONE}
    return render(request, "portal/accessibility.html", contact)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The signed-in user's starting point: their organisations and the premises they manage."""
    is_admin = user_is_territory_admin(request.user)
    context = {
        "organisations": organisations_of(request.user).order_by("name"),
        "managed_sites": sites_manageable_by(request.user)
        .select_related("commune")
        .order_by("commune__name", "name"),
        "pending_structures": structures_awaiting_verification() if is_admin else None,
        "can_list_sites": site_owners_for(request.user).exists(),
        "pending_bookings": bookings_pending_for(request.user).count(),
    }
    return render(request, "portal/dashboard.html", context)
