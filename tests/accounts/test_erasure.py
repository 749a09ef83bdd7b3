"""Erasure (GDPR art. 17, issue 12): a person deletes their account, an operator deletes one in
the admin, the intercommunality erases a structure's data. Personal data go; what has
accounting or legal value stays, anonymised ("Ancien utilisateur n°…")."""

import io

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import models, transaction
from django.urls import reverse

from accounts.messaging import notify_users
from accounts.models import (
    Invitation,
    Membership,
    MembershipRole,
    Notification,
    Organisation,
    OrganisationDocument,
    User,
)
from accounts.selectors import organisations_allowed_to_book_for
from accounts.services import (
    invitation_create,
    organisation_update,
    structure_erase,
    user_erase,
)
from bookings.models import Booking, BookingLog, BookingStatus, CalendarFeed
from calls.models import WaitingListEntry
from core.models import OutboxMail
from core.storage import private_storage
from payments.models import Invoice, Payment, PaymentStatus
from payments.selectors import collecting_organisation
from payments.services.documents import invoice_issue_for_payment
from spaces.models import SiteManager
from tests.factories import (
    MembershipFactory,
    OrganisationDocumentFactory,
    UserFactory,
    VerifiedStructureFactory,
    WaitingListEntryFactory,
    booking_request_for,
)
from tests.payments.conftest import slot
from tests.stack.smtp import text_of

pytestmark = pytest.mark.django_db

EMAIL = "zoe.quintard@example.test"
PASSWORD = "secret-password-42"  # UserFactory's


def _text_columns(model: type[models.Model]) -> list[str]:
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField | models.JSONField)
    ]


def rows_mentioning(text: str) -> list[str]:
    """Every row of the whole database (every model, history tables included) whose text
    columns contain `text`, as "label.column #pk"."""
    found = []
    for model in apps.get_models():
        for column in _text_columns(model):
            lookup = {f"{column}__icontains": text}
            for pk in model._base_manager.filter(**lookup).values_list("pk", flat=True):
                found.append(f"{model._meta.label}.{column} #{pk}")
    return found


@pytest.fixture
def amis(space, site, facilities_manager, territory_admin):
    """A verified association whose only administrator, Zoé Quintard, requested two bookings
    (one paid and invoiced), manages a site, subscribed to a calendar, invited someone, was told
    things, and was edited in the admin; a colleague joined after her."""
    space.instant_confirmation = False
    space.save()
    structure = VerifiedStructureFactory(name="Les Amis du Vélo")
    person = UserFactory(email=EMAIL, first_name="Zoé", last_name="Quintard", phone="0612345678")
    MembershipFactory(organisation=structure, user=person, role=MembershipRole.ADMIN)
    colleague = MembershipFactory(
        organisation=structure,
        user=UserFactory(email="colleague@example.test"),
        role=MembershipRole.MEMBER,
    ).user
    bookings = [
        booking_request_for(space=space, requested_by=person, start=start, end=end)
        for start, end in (slot(days=5), slot(days=6, hour=14))
    ]
    Booking.objects.filter(pk=bookings[0].pk).update(status=BookingStatus.CONFIRMED)
    payment = Payment.objects.create(
        booking=bookings[0],
        owner=collecting_organisation(space),
        amount_cents=3000,
        captured_cents=3000,
        status=PaymentStatus.CAPTURED,
        hold_first=False,
    )
    invoice_issue_for_payment(payment=payment)
    site.managers.add(person)
    CalendarFeed.objects.create(
        scope=CalendarFeed.Scope.SPACE, space=space, created_by=person, token="z" * 43
    )
    invitation_create(
        organisation=structure, email="nouveau@example.test", role="member", invited_by=person
    )
    with transaction.atomic():
        notify_users(
            [person, colleague],
            message="membership_left",
            context={"organisation": structure, "member": person},
            about="test",
        )
    # A failed login recorded by axes' database handler (an earlier setup: ours counts in the
    # cache and writes no row), saved without axes' signals as that handler would.
    AccessAttempt.objects.bulk_create(
        [AccessAttempt(username=EMAIL, ip_address="192.0.2.1", failures_since_start=1)]
    )
    LogEntry.objects.create(
        user=territory_admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message=f"Adresse changée en {EMAIL}",
    )
    return structure, person, colleague, bookings


def test_a_person_deletes_their_account_with_their_password(smtp_inbox, client, amis):
    _, person, _, _ = amis
    client.force_login(person)

    page = client.get(reverse("accounts:account-erase"))
    response = client.post(reverse("accounts:account-erase"), {"password": PASSWORD})

    assert "Ce qui est conservé, et pourquoi" in page.content.decode()
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_erased
    assert (person.email, person.first_name, person.last_name, person.phone) == (
        f"former-user-{person.pk}@invalid",
        "",
        "",
        "",
    )
    assert not person.has_usable_password()
    assert not person.is_active
    assert str(person) == f"Ancien utilisateur n°{person.pk}"


def test_the_wrong_password_erases_nothing(client, amis):
    _, person, _, _ = amis
    client.force_login(person)

    response = client.post(reverse("accounts:account-erase"), {"password": "not-it"})

    assert response.status_code == 200
    assert "Ce n’est pas votre mot de passe" in response.content.decode()
    person.refresh_from_db()
    assert not person.is_erased


def test_every_session_of_the_person_ends(client, amis):
    _, person, _, _ = amis
    other_device = client.__class__()
    other_device.force_login(person)
    client.force_login(person)

    client.post(reverse("accounts:account-erase"), {"password": PASSWORD})

    assert other_device.get(reverse("accounts:profile")).status_code == 302  # to the login page


def test_after_erasure_the_database_holds_nothing_of_the_person(client, amis):
    _, person, _, _ = amis
    assert rows_mentioning(EMAIL)  # the walk does find them before
    client.force_login(person)

    client.post(reverse("accounts:account-erase"), {"password": PASSWORD})

    for trace in (EMAIL, "Zoé Quintard", "Quintard", "0612345678"):
        assert rows_mentioning(trace) == [], trace


def test_after_erasure_bookings_payments_and_logs_stay_and_show_a_former_user(
    client, amis, territory_admin
):
    _, person, _, bookings = amis

    user_erase(user=person, actor=person)

    assert Booking.objects.filter(requested_by=person).count() == 2
    assert BookingLog.objects.filter(actor=person).exists()
    assert Payment.objects.filter(booking=bookings[0]).exists()
    assert Invoice.objects.filter(payment__booking=bookings[0]).exists()
    client.force_login(territory_admin)
    page = client.get(reverse("bookings:booking-detail", args=[bookings[0].pk]))
    assert f"Ancien utilisateur n°{person.pk}" in page.content.decode()


def test_after_erasure_what_only_served_the_person_is_gone(amis):
    _, person, _, bookings = amis

    user_erase(user=person, actor=person)

    assert not Membership.objects.filter(user=person).exists()
    assert not Notification.objects.filter(user=person).exists()
    assert not Invitation.objects.filter(invited_by=person, accepted_at__isnull=True).exists()
    assert not SiteManager.objects.filter(user=person).exists()
    assert not CalendarFeed.objects.filter(created_by=person, revoked_at__isnull=True).exists()
    assert not OutboxMail.objects.filter(recipients__icontains=EMAIL).exists()
    # The structure's pending request stays: it is the structure's.
    assert Booking.objects.get(pk=bookings[1].pk).status == BookingStatus.PENDING


def test_the_last_administrators_place_goes_to_the_longest_standing_member_who_is_told(
    smtp_inbox, amis
):
    structure, person, colleague, _ = amis

    user_erase(user=person, actor=person)

    assert Membership.objects.get(organisation=structure).user == colleague
    assert Membership.objects.get(organisation=structure).role == MembershipRole.ADMIN
    [*_, message] = smtp_inbox.deliver().to("colleague@example.test")
    assert message["Subject"].strip() == (
        "[Locaux Communs] Vous êtes désormais administrateur de Les Amis du Vélo"
    )
    assert "Le dernier administrateur de Les Amis du Vélo a fermé son compte" in text_of(message)


def test_when_the_last_member_is_erased_the_intercommunality_is_told(
    smtp_inbox, territory_admin, structure, member
):
    user_erase(user=member, actor=member)

    assert not Membership.objects.filter(organisation=structure).exists()
    [message] = smtp_inbox.deliver().to(territory_admin.email)
    assert "n'a plus aucun membre" in message["Subject"]


def test_nobody_erases_someone_elses_account(amis, outsider, territory_admin):
    _, person, _, _ = amis

    for actor in (outsider, territory_admin):
        with pytest.raises(PermissionDenied):
            user_erase(user=person, actor=actor)

    person.refresh_from_db()
    assert not person.is_erased


def test_erasing_twice_is_a_no_op(amis):
    _, person, _, _ = amis

    assert user_erase(user=person, actor=person) is True
    assert user_erase(user=person, actor=person) is False


# --- The Django admin erases instead of deleting ---


@pytest.fixture
def operator(client):
    operator = User.objects.create_superuser(email="operateur@example.test", password=PASSWORD)
    client.force_login(operator)
    return operator


def test_deleting_the_demo_association_member_in_the_admin_erases_it(client, db):
    call_command("seed_demo", stdout=io.StringIO())
    member = User.objects.get(email="asso@demo.test")
    bookings = Booking.objects.filter(requested_by=member).count()
    operator = User.objects.create_superuser(email="operateur@example.test", password=PASSWORD)
    client.force_login(operator)
    url = reverse("admin:accounts_user_delete", args=[member.pk])

    confirm = client.get(url)
    response = client.post(url, {"post": "yes"})

    assert confirm.status_code == 200
    assert "anonymis" in confirm.content.decode()
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_erased
    assert bookings > 0
    assert Booking.objects.filter(requested_by=member).count() == bookings


def test_the_admins_delete_action_erases_the_selected_accounts(client, operator, amis):
    _, person, _, _ = amis

    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [person.pk], "post": "yes"},
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_erased
    assert Booking.objects.filter(requested_by=person).count() == 2


# --- A structure's data, on request, by the intercommunality ---


@pytest.fixture
def requested(space, site):
    """A structure with contact details (in its history), a document, an invitation, a pending
    request, a confirmed booking and a waiting-list entry."""
    space.instant_confirmation = False
    space.save()
    structure = VerifiedStructureFactory(name="Repair Café du Hainaut")
    admin = MembershipFactory(organisation=structure, user=UserFactory(email="rc@example.test"))
    structure.email = "contact@repaircafe.example"
    structure.phone = "0327000000"
    structure.address = "3 rue des Réparateurs, Denain"
    structure.website = "https://repaircafe.example"
    structure.description = "Atelier de réparation Zorglub."
    organisation_update(organisation=structure, actor=admin.user)
    pending, confirmed = (
        booking_request_for(space=space, requested_by=admin.user, start=start, end=end)
        for start, end in (slot(days=5), slot(days=6, hour=14))
    )
    Booking.objects.filter(pk=confirmed.pk).update(status=BookingStatus.CONFIRMED)
    return {
        "structure": structure,
        "admin": admin.user,
        "document": OrganisationDocumentFactory(organisation=structure, uploaded_by=admin.user),
        "invitation": invitation_create(
            organisation=structure, email="x@example.test", role="member", invited_by=admin.user
        ),
        "pending": pending,
        "confirmed": confirmed,
        "entry": WaitingListEntryFactory(structure=structure),
    }


def test_the_intercommunality_erases_a_structures_data(
    smtp_inbox, client, territory_admin, requested, django_capture_on_commit_callbacks
):
    structure = requested["structure"]
    stored = requested["document"].file.name
    client.force_login(territory_admin)

    page = client.get(reverse("accounts:structure-erase", args=[structure.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:structure-erase", args=[structure.pk]))

    assert page.status_code == 200
    assert response.status_code == 302
    structure.refresh_from_db()
    assert structure.is_erased
    assert (structure.email, structure.phone, structure.address, structure.website) == (
        "",
        "",
        "",
        "",
    )
    assert (structure.name, structure.siret) == ("Repair Café du Hainaut", structure.siret)
    assert structure.siret
    assert not Membership.objects.filter(organisation=structure).exists()
    assert User.objects.filter(email="rc@example.test", is_active=True).exists()
    assert not Invitation.objects.filter(organisation=structure).exists()
    assert not OrganisationDocument.objects.filter(organisation=structure).exists()
    assert not private_storage.exists(stored)


def test_erasing_a_structure_keeps_its_bookings_and_withdraws_its_requests(
    smtp_inbox, territory_admin, requested
):
    structure_erase(organisation=requested["structure"], actor=territory_admin)

    assert Booking.objects.get(pk=requested["pending"].pk).status == BookingStatus.CANCELLED
    assert Booking.objects.get(pk=requested["confirmed"].pk).status == BookingStatus.CONFIRMED
    assert WaitingListEntry.objects.get(pk=requested["entry"].pk).closed_at is not None


def test_erasing_a_structure_empties_its_contact_details_in_its_history(territory_admin, requested):
    structure = requested["structure"]

    structure_erase(organisation=structure, actor=territory_admin)

    for trace in ("contact@repaircafe.example", "0327000000", "Réparateurs", "Zorglub"):
        assert rows_mentioning(trace) == [], trace


def test_the_structures_members_are_told_in_french(smtp_inbox, territory_admin, requested):
    stranger = UserFactory(email="stranger@example.test")

    structure_erase(organisation=requested["structure"], actor=territory_admin)

    inbox = smtp_inbox.deliver()
    [message] = [
        m
        for m in inbox.to("rc@example.test")
        if m["Subject"].strip()
        == "[Locaux Communs] Les données de Repair Café du Hainaut ont été effacées"
    ]
    assert "la comptabilité publique doit les garder dix ans" in text_of(message)
    assert inbox.to(stranger.email) == []


def test_an_erased_structure_can_no_longer_request_space_nor_take_members(
    territory_admin, requested
):
    structure = requested["structure"]
    structure_erase(organisation=structure, actor=territory_admin)
    MembershipFactory(organisation=structure, user=requested["admin"])

    assert not organisations_allowed_to_book_for(requested["admin"]).filter(pk=structure.pk)
    with pytest.raises(ValidationError):
        invitation_create(
            organisation=structure,
            email="y@example.test",
            role="member",
            invited_by=territory_admin,
        )


def test_only_the_intercommunality_erases_a_structure(client, requested):
    structure = requested["structure"]
    client.force_login(requested["admin"])  # its own administrator

    page = client.get(reverse("accounts:structure-erase", args=[structure.pk]))
    response = client.post(reverse("accounts:structure-erase", args=[structure.pk]))

    assert (page.status_code, response.status_code) == (404, 404)
    assert not Organisation.objects.get(pk=structure.pk).is_erased
    with pytest.raises(PermissionDenied):
        structure_erase(organisation=structure, actor=requested["admin"])


def test_a_commune_is_not_erased(client, territory_admin, commune):
    client.force_login(territory_admin)

    response = client.post(reverse("accounts:structure-erase", args=[commune.organisation_id]))

    assert response.status_code == 404
    with pytest.raises(ValidationError):
        structure_erase(organisation=commune.organisation, actor=territory_admin)
