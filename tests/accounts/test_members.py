"""A structure's members (issue 12): administrators change roles and remove members, members
leave; a structure never loses its last administrator silently, and the people concerned are
told (through a real SMTP server)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, MembershipRole, Notification
from accounts.services import membership_leave, membership_remove, membership_role_set
from tests.factories import MembershipFactory, UserFactory, VerifiedStructureFactory
from tests.helpers import race
from tests.stack.smtp import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def atelier():
    return VerifiedStructureFactory(name="L'Atelier vélo solidaire")


def _member(structure, email: str, role: str = MembershipRole.MEMBER, *, days_ago: int = 0):
    membership = MembershipFactory(
        organisation=structure, user=UserFactory(email=email, first_name="Dominique"), role=role
    )
    if days_ago:
        Membership.objects.filter(pk=membership.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
        membership.refresh_from_db()
    return membership


@pytest.fixture
def admin(atelier):
    return _member(atelier, "presidente@atelier.test", MembershipRole.ADMIN, days_ago=30)


@pytest.fixture
def colleague(atelier):
    return _member(atelier, "benevole@atelier.test", days_ago=10)


# --- Roles ---


def test_an_administrator_makes_a_member_administrator_and_they_are_told_in_french(
    smtp_inbox, admin, colleague
):
    changed = membership_role_set(membership=colleague, role="admin", actor=admin.user)

    colleague.refresh_from_db()
    assert (changed, colleague.role) == (True, MembershipRole.ADMIN)
    inbox = smtp_inbox.deliver()
    [message] = inbox.to("benevole@atelier.test")
    assert message["Subject"].strip() == (
        "[Locaux Communs] Vous êtes administrateur de L'Atelier vélo solidaire"
    )
    text = text_of(message)
    assert "vous a nommé administrateur de L'Atelier vélo solidaire" in text
    assert reverse("accounts:structure-detail", args=[colleague.organisation_id]) in text
    assert message["Reply-To"] == "presidente@atelier.test"
    assert inbox.to("presidente@atelier.test") == []


def test_an_administrator_makes_another_administrator_a_member(smtp_inbox, admin, colleague):
    membership_role_set(membership=colleague, role="admin", actor=admin.user)

    membership_role_set(membership=admin, role="member", actor=colleague.user)

    admin.refresh_from_db()
    assert admin.role == MembershipRole.MEMBER
    [*_, message] = smtp_inbox.deliver().to("presidente@atelier.test")
    assert "vous en êtes désormais membre, et non plus administrateur" in text_of(message)


def test_the_last_administrator_cannot_make_themselves_a_member_while_others_remain(
    smtp_inbox, admin, colleague
):
    with pytest.raises(ValidationError) as refusal:
        membership_role_set(membership=admin, role="member", actor=admin.user)

    assert "nommez d’abord un autre administrateur" in refusal.value.messages[0]
    admin.refresh_from_db()
    assert admin.role == MembershipRole.ADMIN
    assert smtp_inbox.deliver().subjects() == []


def test_the_page_says_why_the_last_administrator_stays_one(client, admin, colleague):
    client.force_login(admin.user)

    response = client.post(
        reverse("accounts:membership-role", args=[admin.organisation_id, admin.pk]),
        {"role": "member"},
        follow=True,
        headers={"accept-language": "fr"},
    )

    assert "nommez d’abord un autre administrateur" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == MembershipRole.ADMIN


def test_the_intercommunality_changes_a_role(territory_admin, admin, colleague):
    assert membership_role_set(membership=colleague, role="admin", actor=territory_admin)


def test_a_plain_member_may_not_change_roles(admin, colleague):
    with pytest.raises(PermissionDenied):
        membership_role_set(membership=admin, role="member", actor=colleague.user)


def test_an_unknown_role_is_refused_with_a_message(admin, colleague):
    with pytest.raises(ValidationError) as refusal:
        membership_role_set(membership=colleague, role="owner", actor=admin.user)

    assert "role" in refusal.value.message_dict


@pytest.mark.parametrize("who", ["outsider", "plain member"])
def test_role_and_removal_pages_are_404_to_whoever_does_not_manage(
    client, outsider, admin, colleague, who
):
    client.force_login(outsider if who == "outsider" else colleague.user)
    structure = admin.organisation_id

    role = client.post(
        reverse("accounts:membership-role", args=[structure, admin.pk]), {"role": "member"}
    )
    removal = client.post(reverse("accounts:membership-remove", args=[structure, admin.pk]))

    assert (role.status_code, removal.status_code) == (404, 404)
    assert Membership.objects.filter(pk=admin.pk, role=MembershipRole.ADMIN).exists()


# --- Removing and leaving ---


def test_an_administrator_removes_a_member_who_is_told(smtp_inbox, client, admin, colleague):
    stranger = UserFactory(email="inconnu@example.test")
    client.force_login(admin.user)

    response = client.post(
        reverse("accounts:membership-remove", args=[colleague.organisation_id, colleague.pk])
    )

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    inbox = smtp_inbox.deliver()
    [message] = inbox.to("benevole@atelier.test")
    assert message["Subject"].strip() == (
        "[Locaux Communs] Vous ne faites plus partie de L'Atelier vélo solidaire"
    )
    assert "Votre compte reste ouvert" in text_of(message)
    assert inbox.to(stranger.email) == []


def test_a_member_leaves_and_the_administrators_are_told(smtp_inbox, client, admin, colleague):
    client.force_login(colleague.user)

    response = client.post(reverse("accounts:structure-leave", args=[colleague.organisation_id]))

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    [message] = smtp_inbox.deliver().to("presidente@atelier.test")
    assert message["Subject"].strip() == (
        f"[Locaux Communs] {colleague.user.get_full_name()} a quitté L'Atelier vélo solidaire"
    )
    assert "ne peut plus faire de demande de réservation" in text_of(message)
    assert Notification.objects.filter(user=admin.user, topic="membership_left").exists()


def test_the_last_administrator_cannot_leave_while_members_remain(smtp_inbox, admin, colleague):
    with pytest.raises(ValidationError):
        membership_leave(organisation=admin.organisation, actor=admin.user)

    assert Membership.objects.filter(pk=admin.pk).exists()


def test_the_last_administrator_cannot_be_removed_by_the_intercommunality_either(
    territory_admin, admin, colleague
):
    with pytest.raises(ValidationError):
        membership_remove(membership=admin, actor=territory_admin)


def test_an_administrator_removing_themselves_leaves(smtp_inbox, admin, colleague):
    membership_role_set(membership=colleague, role="admin", actor=admin.user)

    membership_remove(membership=admin, actor=admin.user)

    assert not Membership.objects.filter(pk=admin.pk).exists()
    [*_, message] = smtp_inbox.deliver().to("benevole@atelier.test")
    assert "a quitté L'Atelier vélo solidaire" in message["Subject"]


def test_when_the_last_member_leaves_the_intercommunality_is_told_and_can_invite(
    smtp_inbox, client, territory_admin, admin
):
    membership_leave(organisation=admin.organisation, actor=admin.user)

    assert not Membership.objects.filter(organisation=admin.organisation).exists()
    [message] = smtp_inbox.deliver().to(territory_admin.email)
    assert message["Subject"].strip() == (
        "[Locaux Communs] L'Atelier vélo solidaire n'a plus aucun membre"
    )
    assert "invitez un nouvel administrateur depuis sa page" in text_of(message)
    client.force_login(territory_admin)
    page = client.get(reverse("accounts:structure-detail", args=[admin.organisation_id]))
    assert reverse("accounts:invitation-create", args=[admin.organisation_id]) in (
        page.content.decode()
    )


def test_leaving_a_structure_one_is_not_in_is_a_404(client, outsider, admin):
    client.force_login(outsider)

    response = client.post(reverse("accounts:structure-leave", args=[admin.organisation_id]))

    assert response.status_code == 404


def test_the_structure_page_offers_the_actions_to_its_administrator(client, admin, colleague):
    client.force_login(admin.user)

    page = client.get(reverse("accounts:structure-detail", args=[admin.organisation_id]))

    html = page.content.decode()
    assert reverse("accounts:membership-role", args=[admin.organisation_id, colleague.pk]) in html
    assert reverse("accounts:membership-remove", args=[admin.organisation_id, colleague.pk]) in (
        html
    )
    assert reverse("accounts:structure-leave", args=[admin.organisation_id]) in html


# --- Two administrators demoting each other at once ---


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_administrators_demoting_each_other_at_once_leave_one_administrator():
    structure = VerifiedStructureFactory()
    first = MembershipFactory(organisation=structure, role=MembershipRole.ADMIN)
    second = MembershipFactory(organisation=structure, role=MembershipRole.ADMIN)

    outcomes = race(
        [
            lambda: membership_role_set(membership=first, role="member", actor=second.user),
            lambda: membership_role_set(membership=second, role="member", actor=first.user),
        ]
    )

    # The second, once it holds the lock, reads that it was demoted: a plain member now, the
    # decision is not its own (DecisionNotAllowed, a PermissionDenied answered 403).
    assert outcomes == {True: 1, "DecisionNotAllowed": 1}
    assert Membership.objects.filter(organisation=structure, role=MembershipRole.ADMIN).count() == 1
