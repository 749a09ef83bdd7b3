"""Tariffs of spaces and payment channels of owners, each set by a manager of the space or the
owner."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.selectors import organisations_manageable_by
from core.history import history_actor
from payments.models import PaymentChannel, Tariff
from payments.models.channels import SECRET_FIELDS
from spaces.models import Space
from spaces.permissions import space_check_manager


def tariff_set(
    *,
    space: Space,
    category: str,
    unit: str,
    amount_cents: int,
    currency: str = "EUR",
    actor: User,
) -> Tariff:
    """Create or change the tariff of a space for a category and unit.

    `actor`, who must manage the space (PermissionDenied), signs the field history.
    Raises ValidationError (unknown category or unit, negative or absurd amount, not EUR).
    """
    space_check_manager(actor=actor, space_id=space.pk)
    return _tariff_write(
        space=space,
        category=category,
        unit=unit,
        amount_cents=amount_cents,
        currency=currency,
        actor=actor,
    )


def _tariff_write(
    *, space: Space, category: str, unit: str, amount_cents: int, currency: str, actor: User
) -> Tariff:
    """`tariff_set` once the actor is known to manage the space."""
    tariff = Tariff.objects.filter(space=space, category=category, unit=unit).first() or Tariff(
        space=space, category=category, unit=unit
    )
    if tariff.pk is not None and (tariff.amount_cents, tariff.currency) == (amount_cents, currency):
        return tariff  # unchanged: no save, so the history lists real changes only
    tariff.amount_cents = amount_cents
    tariff.currency = currency
    tariff.full_clean()
    with history_actor(actor):
        tariff.save()
    return tariff


def channel_set(*, owner: Organisation, kind: str, actor: User, **fields: str) -> PaymentChannel:
    """Choose how `owner` collects fees. Raises PermissionDenied unless `actor` manages the
    owner (organisations_manageable_by: its administrators, the intercommunality),
    ValidationError (e.g. free without legal basis).

    The field history records every change but the Stripe secrets, signed by `actor`."""
    if not organisations_manageable_by(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied
    channel = PaymentChannel.objects.filter(owner=owner).first() or PaymentChannel(owner=owner)
    channel.kind = kind
    now = timezone.now()
    for name, value in fields.items():
        if name in SECRET_FIELDS:
            # Write-only: an empty value keeps the secret entered before (it is never shown
            # back, so a form cannot send it again); a new one is dated.
            if not value:
                continue
            setattr(channel, f"{name}_set_at", now)
        setattr(channel, name, value)
    channel.full_clean()
    with history_actor(actor):
        channel.save()
    return channel


@transaction.atomic
def channel_set_active(*, owner: Organisation, active: bool, actor: User) -> PaymentChannel:
    """Deactivate (or reactivate) how `owner` collects fees; a deactivated channel collects
    nothing (`fee_route_of`) and its fees are stated as not collected.

    Raises PermissionDenied unless `actor` manages the owner, PaymentChannel.DoesNotExist when
    the owner has no channel."""
    if not organisations_manageable_by(actor).filter(pk=owner.pk).exists():
        raise PermissionDenied
    channel = PaymentChannel.objects.select_for_update().get(owner=owner)
    if channel.is_active != active:
        channel.is_active = active
        with history_actor(actor):
            channel.save(update_fields=["is_active", "updated_at"])
    return channel


@transaction.atomic
def tariffs_replace(*, space: Space, grid: dict[tuple[str, str], int | None], actor: User) -> int:
    """Set a space's whole tariff grid ({(category, unit): cents or None}); None removes that
    tariff. All or nothing: one bad amount leaves every tariff as it was.

    Returns how many tariffs the space has now. Raises PermissionDenied unless the actor
    manages the space, ValidationError (the first bad cell).
    """
    space_check_manager(actor=actor, space_id=space.pk)
    for (category, unit), cents in grid.items():
        if cents is None:
            with history_actor(actor):  # a removed tariff stays in the history
                Tariff.objects.filter(space=space, category=category, unit=unit).delete()
        else:
            _tariff_write(
                space=space,
                category=category,
                unit=unit,
                amount_cents=cents,
                currency="EUR",
                actor=actor,
            )
    return Tariff.objects.filter(space=space).count()


@transaction.atomic
def space_deposit_set(*, space: Space, amount_cents: int, actor: User) -> Space:
    """Set the deposit a space asks (0: none), held on the requester's card before each
    booking. Raises PermissionDenied unless `actor` manages the space, ValidationError (a
    negative or absurd amount)."""
    space_check_manager(actor=actor, space_id=space.pk)
    space = Space.objects.select_for_update().get(pk=space.pk)
    if space.deposit_cents == amount_cents:
        return space
    space.deposit_cents = amount_cents
    space.full_clean(exclude=[f.name for f in Space._meta.fields if f.name != "deposit_cents"])
    with history_actor(actor):
        space.save(update_fields=["deposit_cents", "updated_at"])
    return space
