from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import user_is_territory_admin
from core.compiled import CompiledQueries, CompiledQuery
from core.formats import duration_text, euros_text
from core.forms import form_add_service_errors
from core.links import url_of
from core.middleware import accepts_upload
from spaces import selectors, services
from spaces.cards import cards_prepare, cards_texts, for_cards
from spaces.filters import SpaceFilter
from spaces.forms import (
    AmenityForm,
    ManagingOrganisationForm,
    OpeningHoursFormSet,
    PhotoForm,
    SiteForm,
    SiteManagerAddForm,
    SpaceForm,
)
from spaces.models import Amenity, Site, SiteManager, SiteStatus, Space, SpaceStatus
from spaces.rules import opening_hours_summary

CATALOGUE_PAGE_SIZE = 24


def _accessibility_rows(site: Site, space: Space | None = None) -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    if space is not None:
        rows.append((_("Step-free access to this space"), space.step_free))
    width = site.entrance_width_cm
    rows += [
        (_("Step-free entrance"), site.step_free_entrance),
        (_("Entrance door width"), f"{width} cm" if width else None),
        (_("Lift"), site.has_lift),
        (_("Accessible toilets"), site.accessible_toilets),
        (_("Disabled parking space"), site.accessible_parking),
        (_("Hearing loop"), site.hearing_loop),
        (_("Public transport stop within 200 m"), site.public_transport_nearby),
    ]
    return rows


def _hours_ahead_text(hours: int) -> str:
    if hours and hours % 24 == 0:
        return ngettext("%(n)s day", "%(n)s days", hours // 24) % {"n": hours // 24}
    return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}


def _booking_rules(space: Space) -> list[tuple[str, str]]:
    """The rules a request must meet, in plain words, as the space's page states them."""
    rules = [
        (
            _("Who may book"),
            ", ".join(space.booking_kind_labels) or _("nobody at the moment"),
        ),
        (
            _("Approval"),
            _("Bookings are confirmed at once.")
            if space.instant_confirmation
            else _("The manager approves each request, by e-mail."),
        ),
        (
            _("Duration"),
            _("From %(min)s to %(max)s per booking.")
            % {
                "min": duration_text(space.min_booking_minutes),
                "max": duration_text(space.max_booking_minutes),
            },
        ),
        (
            _("Notice"),
            _("Request at least %(delay)s ahead.")
            % {"delay": _hours_ahead_text(space.min_notice_hours)}
            if space.min_notice_hours
            else _("No notice needed."),
        ),
        (
            _("How far ahead"),
            _("Up to %(delay)s ahead.") % {"delay": _hours_ahead_text(space.max_advance_days * 24)},
        ),
    ]
    if space.buffer_minutes:
        rules.append(
            (
                _("Between two bookings"),
                _("%(duration)s are kept free (cleaning, setting up).")
                % {"duration": duration_text(space.buffer_minutes)},
            )
        )
    rules.append(
        (
            _("Cancellation"),
            _("You may cancel until %(delay)s before the start.")
            % {"delay": _hours_ahead_text(space.cancellation_notice_hours)}
            if space.cancellation_notice_hours
            else _("You may cancel until the start."),
        )
    )
    rules.append(
        (
            _("Deposit"),
            _("%(amount)s, held on your card before the booking and released after it.")
            % {"amount": euros_text(space.deposit_cents)}
            if space.deposit_cents
            else _("None."),
        )
    )
    return rules


def _map_sites(spaces) -> QuerySet:
    return (
        Site.objects.filter(
            pk__in=spaces.values("site_id"), latitude__isnull=False, longitude__isnull=False
        )
        .order_by("name")
        .values("pk", "name", "commune__name", "latitude", "longitude")
    )


def _everyones_spaces() -> QuerySet[Space]:
    return selectors.catalogue_spaces(AnonymousUser())


# The unfiltered catalogue as an anonymous visitor sees it, the page most people open: its
# count, its pages of cards and its map have no value at all, so their SQL is compiled once per
# process (core.compiled), a page's SQL once per page (its OFFSET is written in it).
_MAP_OF_EVERYONE = CompiledQuery(lambda: _map_sites(_everyones_spaces()))
# COUNT(*) OVER (): the number of rows, as `count()` gives it, from a values() query.
_COUNT_OF_EVERYONE = CompiledQuery(
    lambda: _everyones_spaces().order_by().annotate(n=Window(Count("pk"))).values("n")[:1]
)
_PAGES_OF_EVERYONE = CompiledQueries(
    lambda offset: lambda: for_cards(_everyones_spaces())[offset : offset + CATALOGUE_PAGE_SIZE],
    most=100,
)


class _EveryonesCatalogue:
    """What `Paginator` reads of a list, for the unfiltered anonymous catalogue: its `count()`
    and a page of it (model instances as `for_cards(catalogue_spaces(...))` gives them)."""

    def count(self) -> int:
        rows = _COUNT_OF_EVERYONE.run()
        return rows[0]["n"] if rows else 0

    def __getitem__(self, window: slice) -> list[Space]:
        # Paginator slices [offset:offset + size], or fewer on the last page: LIMIT size reads
        # the same rows, and each page has one SQL whatever the number of spaces.
        query = _PAGES_OF_EVERYONE.get((window.start,))
        if query is None:
            return list(_PAGES_OF_EVERYONE.builder(window.start)())
        return query.run()


def _map_points(spaces, *, everyone: bool = False) -> list[dict]:
    """One marker per site that holds at least one of the listed spaces (read as values: a
    marker needs five columns, not two model instances per site; one `reverse()` for all).
    `everyone`: `spaces` is the unfiltered catalogue of an anonymous visitor."""
    rows = _MAP_OF_EVERYONE.run() if everyone else _map_sites(spaces)
    url = url_of("spaces:site-detail")
    return [
        {
            "name": row["name"],
            "commune": row["commune__name"],
            "url": url(row["pk"]),
            "lat": float(row["latitude"]),
            "lng": float(row["longitude"]),
        }
        for row in rows
    ]


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    query = request.GET.copy()
    query.pop("page", None)
    # No filter (empty ones filter nothing) and nobody signed in: compiled queries.
    everyone = not request.user.is_authenticated and not any(query.values())
    if everyone:
        space_filter = SpaceFilter(request.GET or None, queryset=Space.objects.none())
        spaces = _EveryonesCatalogue()
    else:
        space_filter = SpaceFilter(
            request.GET or None, queryset=selectors.catalogue_spaces(request.user)
        )
        spaces = space_filter.qs
    page = Paginator(spaces if everyone else for_cards(spaces), CATALOGUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    cards_prepare(page.object_list)
    return render(
        request,
        "spaces/catalogue.html",
        {
            "filter": space_filter,
            "page": page,
            "query": query.urlencode(),
            "map_points": _map_points(spaces, everyone=everyone),
            "map_tile_url": settings.MAP_TILE_URL,
            "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


@require_GET
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(selectors.site_detail(user=request.user), pk=pk)
    can_manage = selectors.sites_manageable_by(request.user).filter(pk=pk).exists()
    # Appointing managers is for the owner's administrators and the intercommunality.
    can_delegate = can_manage and selectors.sites_delegable_by(request.user).filter(pk=pk).exists()
    cards_texts(site.spaces.all())
    context = {
        "site": site,
        "can_manage": can_manage,
        "can_delegate": can_delegate,
        "accessibility_rows": _accessibility_rows(site),
    }
    return render(request, "spaces/site_detail.html", context)


@require_GET
def space_detail(request: HttpRequest, pk: int) -> HttpResponse:
    space = get_object_or_404(selectors.space_detail(user=request.user), pk=pk)
    can_manage = selectors.spaces_manageable_by(request.user).filter(pk=pk).exists()
    hours = [(h.weekday, h.opens, h.closes) for h in space.opening_hours.all()]
    # Requested by the hour: the "Request" button shows only then (bookings.selectors
    # .spaces_bookable_by states the same rule in a query; its kinds part is checked when the
    # requester chooses the organisation).
    by_the_hour = (
        space.bookable
        and space.status == SpaceStatus.AVAILABLE
        and space.site.status == SiteStatus.OPEN
    )
    context = {
        "space": space,
        "site": space.site,
        "can_manage": can_manage,
        "accessibility_rows": _accessibility_rows(space.site, space),
        "by_the_hour": by_the_hour,
        "hours_summary": opening_hours_summary(hours),
        "booking_rules": _booking_rules(space) if by_the_hour else [],
    }
    return render(request, "spaces/space_detail.html", context)


def _site_form(request: HttpRequest, site: Site | None) -> HttpResponse:
    form = SiteForm(request.POST or None, instance=site, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.site_save(site=form.instance, actor=request.user)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The site “%(name)s” was saved.") % {"name": saved.name})
            return redirect(saved.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "spaces/site_form.html", {"form": form, "site": site}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def site_create(request: HttpRequest) -> HttpResponse:
    if not selectors.site_owners_for(request.user).exists():
        raise Http404
    return _site_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _site_form(
        request, get_object_or_404(selectors.sites_manageable_by(request.user), pk=pk)
    )


def _space_form(request: HttpRequest, site: Site, space: Space) -> HttpResponse:
    form = SpaceForm(request.POST or None, instance=space)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.space_save(
                space=form.instance,
                amenities=list(form.cleaned_data["amenities"]),
                actor=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The space “%(name)s” was saved.") % {"name": saved.name})
            return redirect(saved.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "spaces/space_form.html",
        {"form": form, "site": site, "space": space if space.pk else None},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def space_create(request: HttpRequest, site_pk: int) -> HttpResponse:
    site = get_object_or_404(selectors.sites_manageable_by(request.user), pk=site_pk)
    return _space_form(request, site, Space(site=site))


@login_required
@require_http_methods(["GET", "POST"])
def space_edit(request: HttpRequest, pk: int) -> HttpResponse:
    space = get_object_or_404(
        selectors.spaces_manageable_by(request.user).select_related("site"), pk=pk
    )
    return _space_form(request, space.site, space)


@accepts_upload
@login_required
@require_http_methods(["GET", "POST"])
def site_photos(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(selectors.sites_manageable_by(request.user), pk=pk)
    form = PhotoForm(request.POST or None, request.FILES or None, site=site)
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_add(
                site=site,
                actor=request.user,
                space=form.cleaned_data["space"],
                upload=form.cleaned_data["image"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The photo was added."))
            return redirect("spaces:site-photos", pk=site.pk)
    status = 400 if form.is_bound and form.errors else 200
    photos = site.photos.select_related("space")
    return render(
        request,
        "spaces/site_photos.html",
        {"site": site, "form": form, "photos": photos},
        status=status,
    )


@login_required
@require_POST
def photo_delete(request: HttpRequest, pk: int) -> HttpResponse:
    photo = get_object_or_404(selectors.photos_manageable_by(request.user), pk=pk)
    site_pk = photo.site_id
    services.photo_delete(photo=photo, actor=request.user)
    messages.success(request, _("The photo was deleted."))
    return redirect("spaces:site-photos", pk=site_pk)


@login_required
@require_http_methods(["GET", "POST"])
def space_opening_hours(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening hours of a space, in which bookings must fit (none: always open)."""
    space = get_object_or_404(selectors.spaces_manageable_by(request.user), pk=pk)
    formset = OpeningHoursFormSet(request.POST or None, instance=space)
    if request.method == "POST" and formset.is_valid():
        windows = [
            (form.cleaned_data["weekday"], form.cleaned_data["opens"], form.cleaned_data["closes"])
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        services.space_set_opening_hours(space=space, actor=request.user, windows=windows)
        messages.success(request, _("The opening hours were saved."))
        return redirect(space.get_absolute_url())
    status = 400 if formset.is_bound and not formset.is_valid() else 200
    return render(
        request, "spaces/opening_hours.html", {"space": space, "formset": formset}, status=status
    )


# --- Who manages and runs a site (the owner's administrators, the intercommunality) ---


def _site_manage_page(
    request: HttpRequest,
    site: Site,
    *,
    add_form: SiteManagerAddForm | None = None,
    running_form: ManagingOrganisationForm | None = None,
) -> HttpResponse:
    failed = (add_form is not None and add_form.errors) or (
        running_form is not None and running_form.errors
    )
    context = {
        "site": site,
        "assignments": selectors.site_managers_of(site),
        "add_form": add_form or SiteManagerAddForm(),
        "running_form": running_form or ManagingOrganisationForm(site=site),
    }
    return render(request, "spaces/site_manage.html", context, status=400 if failed else 200)


def _delegable_site(request: HttpRequest, pk: int) -> Site:
    return get_object_or_404(
        selectors.sites_delegable_by(request.user).select_related("owner", "managing_organisation"),
        pk=pk,
    )


@login_required
@require_GET
def site_manage(request: HttpRequest, pk: int) -> HttpResponse:
    return _site_manage_page(request, _delegable_site(request, pk))


@login_required
@require_POST
def site_manager_add(request: HttpRequest, pk: int) -> HttpResponse:
    site = _delegable_site(request, pk)
    form = SiteManagerAddForm(request.POST)
    if form.is_valid():
        try:
            assignment = services.site_manager_add(
                site=site,
                email=form.cleaned_data["email"],
                may_commit_owner=form.cleaned_data["may_commit_owner"],
                actor=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s now manages this site and has been told.")
                % {"name": assignment.user.get_full_name() or assignment.user.email},
            )
            return redirect("spaces:site-manage", pk=site.pk)
    return _site_manage_page(request, site, add_form=form)


def _assignment(request: HttpRequest, pk: int) -> SiteManager:
    return get_object_or_404(
        SiteManager.objects.filter(
            site__in=selectors.sites_delegable_by(request.user).values("pk")
        ).select_related("site", "user"),
        pk=pk,
    )


@login_required
@require_POST
def site_manager_delegation(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    may_commit = request.POST.get("may_commit_owner") == "1"
    services.site_manager_set_delegation(
        assignment=assignment, may_commit_owner=may_commit, actor=request.user
    )
    name = assignment.user.get_full_name() or assignment.user.email
    if may_commit:
        message = _("%(name)s may now commit the owner to agreements.")
    else:
        message = _("%(name)s may no longer commit the owner to agreements.")
    messages.success(request, message % {"name": name})
    return redirect("spaces:site-manage", pk=assignment.site_id)


@login_required
@require_POST
def site_manager_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    site_pk = assignment.site_id
    name = assignment.user.get_full_name() or assignment.user.email
    services.site_manager_remove(assignment=assignment, actor=request.user)
    messages.success(request, _("%(name)s no longer manages this site.") % {"name": name})
    return redirect("spaces:site-manage", pk=site_pk)


@login_required
@require_POST
def site_managing_organisation(request: HttpRequest, pk: int) -> HttpResponse:
    site = _delegable_site(request, pk)
    form = ManagingOrganisationForm(request.POST, site=site)
    if form.is_valid():
        try:
            services.site_managing_organisation_set(
                site=site,
                organisation=form.cleaned_data["managing_organisation"],
                actor=request.user,
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Who runs the building is saved."))
            return redirect("spaces:site-manage", pk=site.pk)
    return _site_manage_page(request, site, running_form=form)


# --- The list of equipment (the intercommunality) ---


@login_required
@require_http_methods(["GET", "POST"])
def amenity_list(request: HttpRequest) -> HttpResponse:
    """The equipment managers tick on their spaces: the intercommunality adds and renames
    items (`?id=<pk>` in the POST renames one)."""
    if not user_is_territory_admin(request.user):
        raise Http404
    amenities = list(Amenity.objects.order_by("name", "pk"))
    form = AmenityForm()
    failed: tuple[int | None, AmenityForm] | None = None
    if request.method == "POST":
        raw_id = request.POST.get("id", "")
        if raw_id and not raw_id.isdigit():
            raise Http404
        target = get_object_or_404(Amenity, pk=int(raw_id)) if raw_id else None
        bound = AmenityForm(request.POST, prefix_id=str(target.pk) if target else "new")
        if bound.is_valid():
            try:
                if target is None:
                    services.amenity_add(name=bound.cleaned_data["name"], actor=request.user)
                else:
                    services.amenity_rename(
                        amenity=target, name=bound.cleaned_data["name"], actor=request.user
                    )
            except ValidationError as exc:
                form_add_service_errors(bound, exc)
            else:
                messages.success(request, _("The list of equipment is saved."))
                return redirect("spaces:amenity-list")
        failed = (target.pk if target else None, bound)
        if target is None:
            form = bound
    rows = [
        (
            amenity,
            failed[1]
            if failed and failed[0] == amenity.pk
            else AmenityForm(initial={"name": amenity.name}, prefix_id=str(amenity.pk)),
        )
        for amenity in amenities
    ]
    status = 400 if failed else 200
    return render(request, "spaces/amenity_list.html", {"rows": rows, "form": form}, status=status)
