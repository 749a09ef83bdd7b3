"""Who verified a structure before its last verification stays known: each verification is a
version of the organisation in its field history, signed by the person who verified."""

from django.urls import reverse

from tests.factories import MembershipFactory, StructureFactory, UserFactory
from tests.helpers import verification_documents_add


def test_a_structure_verified_twice_keeps_who_verified_it_the_first_time(
    client, epci, territory_admin
):
    structure = StructureFactory(name="Repair Café")
    colleague = MembershipFactory(organisation=epci, user=UserFactory()).user
    client.force_login(territory_admin)
    verification_documents_add(structure)
    client.post(reverse("accounts:structure-verify", args=[structure.pk]), {"confirm": "yes"})
    # Back to verification (as an identity change does), then verified by someone else.
    structure.refresh_from_db()
    structure.verified_at = structure.verified_by = None
    structure.save()
    client.force_login(colleague)

    client.post(reverse("accounts:structure-verify", args=[structure.pk]), {"confirm": "yes"})

    structure.refresh_from_db()
    verifications = [
        (version.verified_by, version.history_user)
        for version in structure.history.order_by("history_id")
        if version.verified_by_id is not None
    ]
    assert structure.verified_by == colleague
    assert verifications == [(territory_admin, territory_admin), (colleague, colleague)]
