from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from spaces.models import Site, Space
from spaces.services import site_save, space_save
from spaces.validators import validate_erp_types
from tests.factories import (
    AmenityFactory,
    CommuneFactory,
    EpciMembershipFactory,
    PostalCodeFactory,
    SiteFactory,
    SpaceFactory,
    StructureFactory,
    UserFactory,
)


@pytest.fixture
def commune_outside(db):
    """A commune of the COG that never belonged to the platform's intercommunality."""
    return CommuneFactory(insee_code="59350", name="Lille", epci=False)


def test_site_save_creates_a_site_of_the_territory(territory_admin, commune):
    site = SiteFactory.build(commune=commune, name="Maison du projet")

    site_save(site=site, actor=territory_admin)

    assert Site.objects.filter(name="Maison du projet", commune=commune).exists()


def test_site_save_refuses_a_commune_outside_the_territory(territory_admin, commune_outside):
    site = SiteFactory.build(commune=commune_outside)

    with pytest.raises(ValidationError) as error:
        site_save(site=site, actor=territory_admin)

    assert list(error.value.message_dict) == ["commune"]
    assert not Site.objects.exists()


def test_site_save_refuses_a_commune_whose_membership_has_ended(territory_admin, epci):
    left = CommuneFactory(epci=False)
    EpciMembershipFactory(
        epci=epci, commune=left, start=date(2001, 1, 31), end=timezone.localdate()
    )
    site = SiteFactory.build(commune=left)

    with pytest.raises(ValidationError) as error:
        site_save(site=site, actor=territory_admin)

    assert list(error.value.message_dict) == ["commune"]
    assert not Site.objects.exists()


def test_site_save_refuses_a_commune_whose_membership_has_not_started(territory_admin, epci):
    joining = CommuneFactory(epci=False)
    EpciMembershipFactory(
        epci=epci, commune=joining, start=timezone.localdate() + timedelta(days=1)
    )
    site = SiteFactory.build(commune=joining)

    with pytest.raises(ValidationError) as error:
        site_save(site=site, actor=territory_admin)

    assert list(error.value.message_dict) == ["commune"]


def test_site_save_accepts_a_commune_that_left_and_joined_again(territory_admin, epci):
    # Émerchicourt left the CAPH in 2022 and came back in 2023.
    returning = CommuneFactory(epci=False)
    EpciMembershipFactory(
        epci=epci, commune=returning, start=date(2019, 1, 1), end=date(2022, 7, 1)
    )
    EpciMembershipFactory(epci=epci, commune=returning, start=date(2023, 9, 26))
    site = SiteFactory.build(commune=returning)

    site_save(site=site, actor=territory_admin)

    assert Site.objects.filter(commune=returning).count() == 1


def test_site_save_refuses_a_postcode_of_another_commune(territory_admin):
    denain = CommuneFactory(name="Denain", postcodes=[PostalCodeFactory(code="59220")])
    site = SiteFactory.build(commune=denain, postcode="59230")

    with pytest.raises(ValidationError) as error:
        site_save(site=site, actor=territory_admin)

    assert list(error.value.message_dict) == ["postcode"]
    assert not Site.objects.exists()


def test_site_save_postcode_error_lists_the_postcodes_of_the_commune(territory_admin):
    codes = [PostalCodeFactory(code="59490"), PostalCodeFactory(code="59491")]
    commune = CommuneFactory(name="Somain", postcodes=codes)
    site = SiteFactory.build(commune=commune, postcode="59220")

    with translation.override("en"), pytest.raises(ValidationError) as error:
        site_save(site=site, actor=territory_admin)

    assert error.value.message_dict["postcode"] == ["The postcode of Somain is 59490, 59491."]


def test_site_save_refuses_an_owner_the_actor_may_not_act_for(commune_staff, other_commune):
    site = SiteFactory.build(commune=other_commune, owner=other_commune.organisation)

    with pytest.raises(ValidationError) as error:
        site_save(site=site, actor=commune_staff)

    assert list(error.value.message_dict) == ["owner"]
    assert not Site.objects.exists()


def test_site_save_refuses_an_ess_structure_as_owner(territory_admin, commune):
    site = SiteFactory.build(commune=commune, owner=StructureFactory())

    with pytest.raises(ValidationError) as error:
        site_save(site=site, actor=territory_admin)

    assert list(error.value.message_dict) == ["owner"]


def test_site_save_lets_commune_staff_list_a_site_of_their_commune(commune_staff, commune):
    site = SiteFactory.build(commune=commune, owner=commune.organisation, name="Médiathèque")

    site_save(site=site, actor=commune_staff)

    assert Site.objects.get(name="Médiathèque").owner == commune.organisation


def test_site_save_leaves_the_stored_row_unchanged_when_refused(
    territory_admin, site, commune_outside
):
    site.commune = commune_outside
    site.name = "Renamed"

    with pytest.raises(ValidationError):
        site_save(site=site, actor=territory_admin)

    stored = Site.objects.get(pk=site.pk)
    assert (stored.name, stored.commune_id) == ("Les Grands Bureaux", "59172")


def test_site_save_sets_the_facilities_managers(territory_admin, commune):
    manager = UserFactory()
    site = SiteFactory.build(commune=commune)

    site_save(site=site, actor=territory_admin, managers=[manager])

    assert list(site.managers.all()) == [manager]


def test_site_save_refuses_an_unknown_erp_type(territory_admin, commune):
    site = SiteFactory.build(commune=commune, erp_types=["L", "Q"])

    with pytest.raises(ValidationError) as error:
        site_save(site=site, actor=territory_admin)

    assert list(error.value.message_dict) == ["erp_types"]


def test_space_save_creates_a_space_with_its_equipment(site, territory_admin):
    wifi = AmenityFactory(code="wifi", name="Wi-Fi")
    space = SpaceFactory.build(site=site, name="Salle Usinor")

    space_save(actor=territory_admin, space=space, amenities=[wifi])

    assert list(Space.objects.get(name="Salle Usinor").amenities.all()) == [wifi]


def test_space_save_refuses_a_capacity_of_zero(site, territory_admin):
    space = SpaceFactory.build(site=site, capacity=0)

    with pytest.raises(ValidationError) as error:
        space_save(actor=territory_admin, space=space)

    assert list(error.value.message_dict) == ["capacity"]
    assert not Space.objects.exists()


@pytest.mark.parametrize("surface", ["0", "-12.5"])
def test_space_save_refuses_a_surface_that_is_not_positive(site, surface, territory_admin):
    space = SpaceFactory.build(site=site, surface_m2=Decimal(surface))

    with pytest.raises(ValidationError) as error:
        space_save(actor=territory_admin, space=space)

    assert list(error.value.message_dict) == ["surface_m2"]
    assert not Space.objects.exists()


def test_space_capacity_constraint_refuses_zero_without_the_service(site):
    with pytest.raises(IntegrityError), transaction.atomic():
        Space.objects.create(
            site=site, name="Salle", kind="meeting_room", surface_m2=Decimal(30), capacity=0
        )


def test_space_surface_constraint_refuses_zero_without_the_service(site):
    with pytest.raises(IntegrityError), transaction.atomic():
        Space.objects.create(
            site=site, name="Salle", kind="meeting_room", surface_m2=Decimal(0), capacity=10
        )


def test_validate_erp_types_accepts_official_letters():
    validate_erp_types(["L", "W", "X"])


def test_validate_erp_types_rejects_an_unknown_letter():
    with pytest.raises(ValidationError) as error:
        validate_erp_types(["L", "Z"])

    assert error.value.code == "erp_type_invalid"


def test_validate_erp_types_rejects_a_lowercase_letter():
    with pytest.raises(ValidationError) as error:
        validate_erp_types(["l"])

    assert error.value.code == "erp_type_invalid"


def test_validate_erp_types_rejects_a_string_instead_of_a_list():
    with pytest.raises(ValidationError) as error:
        validate_erp_types("LW")

    assert error.value.code == "erp_type_invalid"
