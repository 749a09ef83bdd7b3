"""Equipment with quantities (issue 16): a site's stock, managed by those who manage the site,
and the quantities a booking holds on each of its dates.

The guarantee is the rooms' one, for sums: at no moment do the active uses of an item add up to
more than its stock. An exclusion constraint cannot say it (it compares two rows, never a sum
over many), so every writer of an item's use or of its stock takes the same lock first: the
item's row, `SELECT … FOR UPDATE`, in id order (no deadlock between two requests asking for the
same items). Under that lock the peak of the item's use over each requested date (a sweep over
the overlapping uses, not a plain sum) plus the quantity asked is compared with the stock, and
the uses are written in the same transaction. What frees equipment (a cancellation, a refusal,
a lapse) only lowers the use, and needs no lock. On SQLite every transaction begins IMMEDIATE
(config/settings.py): writers are serialised by the database's write lock, and the same check
is the guard. docs/decisions.md, "Issue 16 — equipment with quantities", says why in full.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.actors import Actor
from bookings.exceptions import BookingConflict
from bookings.models import MAX_STOCK, Booking, Equipment, EquipmentUse, Occupancy
from bookings.rules import Period
from bookings.selectors import local_zone
from bookings.selectors.overlap import occupancy_overlap_q
from core.validators import validate_single_line
from spaces.models import Site
from spaces.permissions import site_check_manager

# Beyond any booking (they are at most a year ahead): "from now on".
_FOREVER = timedelta(days=100 * 366)
# (equipment id, quantity) pairs, as a request asks for them.
Asked = Sequence[tuple[int, int]]
# (start, until, quantity) of the uses of one item: until is the date's blocked_until.
Uses = list[tuple[datetime, datetime, int]]


def equipment_peak(uses: Uses, start: datetime, end: datetime) -> tuple[int, datetime | None]:
    """The most of an item used at the same moment within [start, end), and the first moment
    it is reached (None when nothing is used). A sweep over the uses' starts and ends: two uses
    that do not overlap each other do not add up, however many meet the period."""
    events = []
    for use_start, use_end, quantity in uses:
        if use_start < end and use_end > start:
            events.append((max(use_start, start), 1, quantity))
            events.append((use_end, 0, -quantity))  # at the same instant, ends come first
    peak, running, at = 0, 0, None
    for moment, _kind, delta in sorted(events):
        running += delta
        if running > peak:
            peak, at = running, moment
    return peak, at


def _asked(asked: Asked) -> dict[int, int]:
    """The quantities asked, by item, zeros left out; ValidationError naming `equipment` for a
    quantity out of bounds or an item asked twice."""
    quantities: dict[int, int] = {}
    for equipment_id, quantity in asked:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise ValidationError({"equipment": _("Give each quantity as a whole number.")})
        if quantity < 0 or quantity > MAX_STOCK:
            raise ValidationError(
                {
                    "equipment": _("Each quantity must be between 0 and %(max)s.")
                    % {"max": MAX_STOCK}
                }
            )
        if equipment_id in quantities:
            raise ValidationError({"equipment": _("Each item may be asked for only once.")})
        quantities[equipment_id] = quantity
    return {key: value for key, value in quantities.items() if value}


def _dates_meeting(start: datetime, end: datetime) -> QuerySet[Occupancy]:
    """Active dates whose [start, blocked_until) meets [start, end): the overlap selector's
    one spelling of the test, as a subquery."""
    return Occupancy.objects.filter(occupancy_overlap_q(Period(start, end)), active=True)


def _uses_of(items: Iterable[int], start: datetime, end: datetime) -> dict[int, Uses]:
    """The active uses of `items` that meet [start, end), by item: one query."""
    uses: dict[int, Uses] = {}
    rows = EquipmentUse.objects.filter(
        equipment_id__in=list(items), occupancy__in=_dates_meeting(start, end)
    ).values_list("equipment_id", "occupancy__start", "occupancy__blocked_until", "quantity")
    for equipment_id, use_start, use_end, quantity in rows:
        uses.setdefault(equipment_id, []).append((use_start, use_end, quantity))
    return uses


def _local(moment: datetime) -> str:
    return date_format(moment.astimezone(local_zone()), "DATETIME_FORMAT")


def equipment_book(*, booking: Booking, rows: list[Occupancy], asked: Asked) -> list[EquipmentUse]:
    """Hold the quantities `asked` of the booking's site's equipment on each of its dates
    (`rows`, just written by the Occupancy writer), each over the date and the space's buffer.
    Must run inside the request's atomic(); checks no permission (booking_request did). Raises
    ValidationError (naming `equipment`) for an item not lent here or more than the stock, and
    BookingConflict listing the dates where what is left is not enough."""
    quantities = _asked(asked)
    booking.equipment_booked = []
    if not quantities or not rows:
        return []
    # The lock every writer of these items takes first, in id order.
    items = list(
        Equipment.objects.select_for_update()
        .filter(site_id=booking.space.site_id, pk__in=list(quantities))
        .order_by("pk")
    )
    if len(items) != len(quantities):
        raise ValidationError({"equipment": _("This equipment is not lent with this space.")})
    for item in items:
        if quantities[item.pk] > item.stock:
            raise ValidationError(
                {
                    "equipment": _("There are only %(stock)s of “%(name)s” here.")
                    % {"stock": item.stock, "name": item.name}
                }
            )
    uses = _uses_of(
        quantities, min(row.start for row in rows), max(row.blocked_until for row in rows)
    )
    clashes, reasons = [], []
    for row in rows:
        for item in items:
            peak, _at = equipment_peak(uses.get(item.pk, []), row.start, row.blocked_until)
            if peak + quantities[item.pk] > item.stock:
                clashes.append((Period(row.start, row.end), Period(row.start, row.blocked_until)))
                reasons.append(
                    _(
                        "Only %(left)s of “%(name)s” left at that time (you asked for "
                        "%(asked)s). Ask for fewer, or choose another time."
                    )
                    % {
                        "left": max(item.stock - peak, 0),
                        "name": item.name,
                        "asked": quantities[item.pk],
                    }
                )
    if clashes:
        raise BookingConflict(clashes, message=reasons[0], reasons=reasons)
    written = EquipmentUse.objects.bulk_create(
        [
            EquipmentUse(
                equipment=item, occupancy=row, booking=booking, quantity=quantities[item.pk]
            )
            for row in rows
            for item in items
        ]
    )
    booking.equipment_booked = [
        {"id": item.pk, "name": item.name, "quantity": quantities[item.pk]}
        for item in sorted(items, key=lambda item: (item.name, item.pk))
    ]
    return written


def _check_fields(*, site_id: int, name: str, stock: object, pk: int | None = None) -> str:
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Name the equipment.")
    elif len(name) > 100:
        errors["name"] = _("At most 100 characters.")
    else:
        try:
            validate_single_line(name)
        except ValidationError:
            errors["name"] = _("The name must fit on one line.")
        else:
            same = Equipment.objects.filter(site_id=site_id, name__iexact=name)
            if pk is not None:
                same = same.exclude(pk=pk)
            if same.exists():
                errors["name"] = _("This site already has equipment of that name.")
    if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= MAX_STOCK:
        errors["stock"] = _("The stock must be between 0 and %(max)s.") % {"max": MAX_STOCK}
    if errors:
        raise ValidationError(errors)
    return name


@transaction.atomic
def equipment_create(*, actor: Actor, site: Site, name: str, stock: int) -> Equipment:
    """Add an item to the site's stock. Raises PermissionDenied (404) unless `actor` manages
    the site, ValidationError for a name taken or a stock out of bounds."""
    site_check_manager(actor=actor, site_id=site.pk)
    name = _check_fields(site_id=site.pk, name=name, stock=stock)
    return Equipment.objects.create(site=site, name=name, stock=stock)


@transaction.atomic
def equipment_update(
    *, actor: Actor, equipment: Equipment, name: str, stock: int, now: datetime | None = None
) -> Equipment:
    """Rename an item or change its stock. A stock below what bookings to come hold at the
    same moment is refused (ValidationError naming `stock`, with when and how many): those
    bookings are cancelled or changed first. Raises PermissionDenied (404) unless `actor`
    manages the site."""
    now = now or timezone.now()
    site_check_manager(actor=actor, site_id=equipment.site_id)
    # The same lock as the requests': no request can add a use while the stock is checked.
    locked = Equipment.objects.select_for_update().get(pk=equipment.pk)
    name = _check_fields(site_id=locked.site_id, name=name, stock=stock, pk=locked.pk)
    if stock < locked.stock:
        horizon = now + _FOREVER
        uses = EquipmentUse.objects.filter(
            equipment=locked, occupancy__in=_dates_meeting(now, horizon)
        ).values_list("occupancy__start", "occupancy__blocked_until", "quantity")
        peak, at = equipment_peak(list(uses), now, horizon)
        if stock < peak:
            raise ValidationError(
                {
                    "stock": _(
                        "Bookings to come hold %(peak)s of “%(name)s” at the same time (on "
                        "%(when)s): the stock cannot go below %(peak)s until they are "
                        "cancelled or changed."
                    )
                    % {"peak": peak, "name": locked.name, "when": _local(at)}
                }
            )
    locked.name, locked.stock = name, stock
    locked.save(update_fields=["name", "stock"])
    equipment.name, equipment.stock = name, stock
    return locked


def equipment_short_to_lengthen(*, row: Occupancy, until: datetime) -> str | None:
    """Whether the equipment `row` holds could be held until `until` (a released no-show's
    date taken back, bookings.services.checkin): the name of the first item whose stock
    would be exceeded after the row's present `blocked_until`, else None. Takes the items'
    lock, in id order, as every writer of their uses does. Must run inside atomic(), after
    the space's lock."""
    held = dict(EquipmentUse.objects.filter(occupancy=row).values_list("equipment_id", "quantity"))
    if not held or until <= row.blocked_until:
        return None
    items = list(Equipment.objects.select_for_update().filter(pk__in=list(held)).order_by("pk"))
    uses = _uses_of(held, row.blocked_until, until)
    for item in items:
        peak, _at = equipment_peak(uses.get(item.pk, []), row.blocked_until, until)
        if peak + held[item.pk] > item.stock:
            return item.name
    return None
