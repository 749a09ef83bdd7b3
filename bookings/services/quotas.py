"""Booking quotas (issue 16): set by the people who manage a site, checked at request time.

A pending request holds its slot for up to ten days, so one structure could hold a room for a
month of evenings; a quota caps what a structure holds on a site (or on one kind of its spaces):
hours per week, hours per month, requests awaiting a decision at once.

`quotas_check` runs inside `booking_request`'s transaction, after the clash check, on the dates
the request will really book. It first locks the structure's row (SELECT … FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transactions serialise every writer already), so two requests of
the same structure are counted one after the other: the second sees the first's dates once it
commits, and a quota is never exceeded (docs/decisions.md, issue 16).
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.actors import Actor, is_platform
from accounts.models import Organisation, User
from bookings.models import BookingQuota
from bookings.rules import Period
from bookings.selectors import (
    local_zone,
    quota_dates_held,
    quota_of,
    quota_pending_count,
    quotas_applying,
    quotas_manageable_by,
)
from spaces.models import Site, Space, SpaceKind
from spaces.permissions import site_check_manager


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_after(monday: date) -> date:
    return monday + timedelta(days=7)


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _month_after(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_zone())


def _hours_text(duration: timedelta) -> str:
    """A duration as people say it: "3 h", "1 h 30"."""
    minutes = int(duration.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("%(hours)s h %(minutes)02d") % {"hours": hours, "minutes": rest}
    return _("%(hours)s h") % {"hours": hours}


def _scope_text(quota: BookingQuota, space: Space) -> str:
    if quota.space_kind:
        return _("%(site)s, spaces of kind “%(kind)s”") % {
            "kind": SpaceKind(quota.space_kind).label,
            "site": space.site.name,
        }
    return str(space.site.name)


def _check_hours(
    quota: BookingQuota,
    *,
    limit: int,
    bucket: Callable[[date], date],
    after: Callable[[date], date],
    space: Space,
    organisation: Organisation,
    periods: Sequence[Period],
    weekly: bool,
) -> None:
    zone = local_zone()
    added: dict[date, timedelta] = defaultdict(timedelta)
    for period in periods:
        added[bucket(period.start.astimezone(zone).date())] += period.end - period.start
    held = quota_dates_held(
        quota=quota,
        organisation_id=organisation.pk,
        start=_midnight(min(added)),
        end=_midnight(after(max(added))),
    )
    used: dict[date, timedelta] = defaultdict(timedelta)
    for start, end in held:
        used[bucket(start.astimezone(zone).date())] += end - start
    allowed = timedelta(hours=limit)
    for key in sorted(added):
        if used[key] + added[key] <= allowed:
            continue
        values = {
            "structure": organisation.name,
            "limit": limit,
            "scope": _scope_text(quota, space),
            "used": _hours_text(used[key]),
            "added": _hours_text(added[key]),
        }
        if weekly:
            values["when"] = date_format(key, "j F Y")
            message = ngettext(
                "Quota reached: %(structure)s may book at most %(limit)s hour a week on the "
                "site %(scope)s. The week of Monday %(when)s already holds %(used)s and this "
                "request adds %(added)s. Choose fewer hours or another week.",
                "Quota reached: %(structure)s may book at most %(limit)s hours a week on the "
                "site %(scope)s. The week of Monday %(when)s already holds %(used)s and this "
                "request adds %(added)s. Choose fewer hours or another week.",
                limit,
            )
        else:
            values["when"] = date_format(key, "F Y")
            message = ngettext(
                "Quota reached: %(structure)s may book at most %(limit)s hour a month on "
                "the site %(scope)s. The month of %(when)s already holds %(used)s and this "
                "request adds %(added)s. Choose fewer hours or another month.",
                "Quota reached: %(structure)s may book at most %(limit)s hours a month on "
                "the site %(scope)s. The month of %(when)s already holds %(used)s and this "
                "request adds %(added)s. Choose fewer hours or another month.",
                limit,
            )
        raise ValidationError(message % values, code="quota")


def quotas_check(
    *,
    space: Space,
    organisation: Organisation,
    periods: Sequence[Period],
    pending: bool,
    now: datetime,
) -> None:
    """Refuse a request that would take `organisation` past a quota of `space`'s site: the
    dates `periods` (each counted in the week and month it starts in) added to the dates it
    holds, and one more request awaiting a decision if `pending`. `space` comes from the
    request's locked read (`quota_on_site`: no query at all on a site without quotas). Must
    run inside the request's transaction. Raises ValidationError (code "quota") saying which
    limit and what is used."""
    if not getattr(space, "quota_on_site", True) or not periods:
        return
    quotas = list(
        quotas_applying(
            site_id=space.site_id, space_kind=space.kind, organisation_id=organisation.pk
        )
    )
    if not quotas:
        return
    # Serialise the structure's requests from here to the commit: what it holds is then read
    # after the previous request's dates are committed (docs/decisions.md, issue 16).
    list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values_list("pk"))
    for quota in quotas:
        if pending and quota.max_pending is not None:
            count = quota_pending_count(quota=quota, organisation_id=organisation.pk, now=now)
            if count + 1 > quota.max_pending:
                raise ValidationError(
                    ngettext(
                        "Quota reached: %(structure)s may have at most %(limit)s request "
                        "awaiting a decision at once on the site %(scope)s, and already has %(count)s. "
                        "Wait for a decision, or cancel a request.",
                        "Quota reached: %(structure)s may have at most %(limit)s requests "
                        "awaiting a decision at once on the site %(scope)s, and already has %(count)s. "
                        "Wait for a decision, or cancel a request.",
                        quota.max_pending,
                    )
                    % {
                        "structure": organisation.name,
                        "limit": quota.max_pending,
                        "scope": _scope_text(quota, space),
                        "count": count,
                    },
                    code="quota",
                )
        for limit, bucket, after, weekly in (
            (quota.max_hours_per_week, _week_of, _week_after, True),
            (quota.max_hours_per_month, _month_of, _month_after, False),
        ):
            if limit is not None:
                _check_hours(
                    quota,
                    limit=limit,
                    bucket=bucket,
                    after=after,
                    space=space,
                    organisation=organisation,
                    periods=periods,
                    weekly=weekly,
                )


@transaction.atomic
def quota_save(
    *,
    actor: Actor,
    site: Site,
    quota: BookingQuota | None = None,
    space_kind: str = "",
    organisation: Organisation | None = None,
    max_hours_per_week: int | None = None,
    max_hours_per_month: int | None = None,
    max_pending: int | None = None,
) -> BookingQuota:
    """Set a quota of `site`: change `quota`, or the one of the same structure and kind of
    space, or add it. Only the people who manage the
    site do (PermissionDenied, a 404, for anyone else). Raises ValidationError for limits out
    of bounds, none at all, or a second quota for the same structure and kind of space. Takes
    effect for the requests made from now on: what is already booked stays."""
    site_check_manager(actor=actor, site_id=site.pk)
    if quota is None:
        # Setting the quota of a structure and kind of space that has one changes it.
        quota = quota_of(
            site_id=site.pk,
            space_kind=space_kind,
            organisation_id=organisation.pk if organisation else None,
        ) or BookingQuota(site=site, created_by=actor if isinstance(actor, User) else None)
    elif not quotas_manageable_by(actor).filter(pk=quota.pk, site=site).exists():
        raise PermissionDenied
    quota.space_kind = space_kind or ""
    quota.organisation = organisation
    quota.max_hours_per_week = max_hours_per_week
    quota.max_hours_per_month = max_hours_per_month
    quota.max_pending = max_pending
    quota.full_clean()
    try:
        with transaction.atomic():
            quota.save()
    except IntegrityError as exc:  # the same quota set at the same moment by someone else
        raise ValidationError(
            _("This site already has a quota for this structure and kind of space: change it.")
        ) from exc
    return quota


@transaction.atomic
def quota_delete(*, actor: Actor, quota: BookingQuota) -> None:
    """Remove a quota (PermissionDenied, a 404, unless the actor manages its site)."""
    if is_platform(actor) or not quotas_manageable_by(actor).filter(pk=quota.pk).exists():
        raise PermissionDenied
    BookingQuota.objects.filter(pk=quota.pk).delete()
