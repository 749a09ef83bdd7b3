"""Load the demo territory. Idempotent: running it twice gives the same data."""

import csv
import io
import os
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from accounts.models import (
    DocumentKind,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    User,
)
from accounts.services import document_add
from bookings.allocations import allocation_accept, allocation_offer, allocation_sign
from bookings.exceptions import BookingConflict
from bookings.models import (
    Allocation,
    Booking,
    BookingLog,
    BookingStatus,
    Closure,
    Equipment,
    Frequency,
    Occupancy,
    RequestQuestion,
    SlotWait,
)
from bookings.rules import Period, local_period, release_moment
from bookings.selectors import local_zone
from bookings.services import (
    BookingChange,
    BookingRequest,
    booking_approve,
    booking_comment_post,
    booking_request,
    booking_reschedule,
    check_in_settings_set,
    closure_create,
    closures_add_public_holidays,
    quota_save,
    request_question_save,
    slot_wait_join,
    space_conditions_set,
)
from bookings.services.groups import booking_request_several
from bookings.services.occupancy import (
    occupancies_record_past,
    occupancy_check_in,
    occupancy_release_no_show,
)
from calls.models import Application, Call
from calls.services import (
    application_comment_post,
    application_start,
    application_submit,
    application_update,
    call_create,
    call_publish,
    reviewer_assign,
    reviewer_declare,
    score_record,
)
from core.text import de
from payments.models import ChannelKind
from payments.services.tariffs import channel_set, tariff_set
from portal import demo
from seasons.models import Campaign
from seasons.services import (
    CampaignTerms,
    OptionInput,
    campaign_close,
    campaign_create,
    campaign_open,
    plan_run,
    wish_submit,
)
from spaces.models import (
    Amenity,
    Commune,
    EpciMembership,
    OpeningHours,
    PostalCode,
    Site,
    Space,
)
from spaces.services import photo_add


def _demo_pdf() -> bytes:
    """A blank A4 page standing for the statutes and insurance certificates of demo structures
    (uploaded documents are parsed whole: accounts/files.py)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


COMMUNES_CSV = Path(__file__).resolve().parents[2] / "fixtures" / "caph_communes.csv"


class Command(BaseCommand):
    help = "Load the demo territory (CA de la Porte du Hainaut) and one demo account per role."

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "Les données de démonstration ne se chargent que si DEMO_MODE est activé "
                "(jamais en production)."
            )
        with transaction.atomic():
            epci = self._epci()
            communes = self._communes(epci)
            self._amenities()
            structures = self._structures()
            sites = self._sites(epci, communes, structures)
            self._users(epci, communes, structures, sites)
            self._fees(epci, sites, structures)
        structures = {
            data["key"]: Organisation.objects.get(name=data["name"]) for data in demo.STRUCTURES
        }
        self._photos(sites)
        # The demo requests go through the real services; their e-mails stay in memory.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self._bookings(sites)
            self._behalf_and_quota(structures)
            self._request_form()
            self._equipment()
            self._moved()
            self._group()
            self._conversation()
            self._slot_wait()
            self._long_term(structures)
            self._application_conversation(structures)
        with transaction.atomic():
            self._history(structures)
            self._check_in()
        self._season()
        self.stdout.write(self.style.SUCCESS(self._summary()))

    def _epci(self) -> Organisation:
        epci, _ = Organisation.objects.update_or_create(
            siren=demo.CAPH["siren"],
            kind=OrganisationKind.EPCI,
            defaults={
                "name": demo.CAPH["name"],
                "siret": demo.CAPH["siret"],
                "address": demo.CAPH["address"],
            },
        )
        return epci

    def _communes(self, epci: Organisation) -> dict[str, Commune]:
        communes = {}
        with COMMUNES_CSV.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                code = row["code_insee"]
                name = f"Commune {de(row['nom'])}"  # "Commune d’Escaudain"
                # Demo databases seeded before said "Commune de Escaudain": renamed in place.
                Organisation.objects.filter(
                    kind=OrganisationKind.COMMUNE, name=f"Commune de {row['nom']}"
                ).exclude(name=name).update(name=name)
                organisation, _ = Organisation.objects.update_or_create(
                    kind=OrganisationKind.COMMUNE,
                    name=name,
                    defaults={
                        "address": row["adresse_mairie"],
                        "siret": demo.COMMUNE_SIRETS.get(code, ""),
                    },
                )
                commune, _ = Commune.objects.update_or_create(
                    insee_code=code,
                    defaults={
                        "name": row["nom"],
                        "population": int(row["population_municipale"]),
                        "town_hall_address": row["adresse_mairie"],
                        "organisation": organisation,
                    },
                )
                postcodes = [
                    PostalCode.objects.get_or_create(code=postcode.strip())[0]
                    for postcode in row["codes_postaux"].split(";")
                    if postcode.strip()
                ]
                commune.postcodes.set(postcodes)
                for start, end in demo.MEMBERSHIP_PERIODS.get(code, [(demo.CAPH_CREATED, None)]):
                    EpciMembership.objects.update_or_create(
                        epci=epci, commune=commune, start=start, defaults={"end": end}
                    )
                communes[code] = commune
        return communes

    def _fees(
        self, epci: Organisation, sites: list[Site], structures: dict[str, Organisation]
    ) -> None:
        """Tariffs, deposits and how each owner collects (see demo.TARIFFS), set by the
        intercommunality's administrator, who manages every site and organisation."""
        admin = User.objects.get(email=demo.USERS[0][0])
        for site in sites:
            for space in site.spaces.all():
                for category, units in demo.TARIFFS.get((site.name, space.name), {}).items():
                    for unit, cents in units.items():
                        tariff_set(
                            space=space,
                            category=category,
                            unit=unit,
                            amount_cents=cents,
                            actor=admin,
                        )
                deposit = demo.DEPOSITS.get((site.name, space.name), 0)
                if space.deposit_cents != deposit:
                    space.deposit_cents = deposit
                    space.save(update_fields=["deposit_cents"])
        channel_set(
            owner=structures["scic"],
            kind=ChannelKind.STRIPE,
            actor=admin,
            stripe_publishable_key=os.environ.get("DEMO_STRIPE_PUBLISHABLE_KEY", ""),
            stripe_secret_key=os.environ.get("DEMO_STRIPE_SECRET_KEY", ""),
            stripe_webhook_secret=os.environ.get("DEMO_STRIPE_WEBHOOK_SECRET", ""),
            finance_department=demo.SCIC_INVOICING,
        )
        public_owners = {epci, *(site.owner for site in sites)}
        for owner in public_owners:
            channel_set(
                owner=owner,
                kind=ChannelKind.PUBLIC_ACCOUNTING,
                actor=admin,
                finance_department=f"Service des finances — {owner.name}",
                payfip_url=demo.PAYFIP_URL,
            )

    def _amenities(self) -> None:
        for code, name in demo.AMENITIES:
            Amenity.objects.update_or_create(code=code, defaults={"name": name})

    def _structures(self) -> dict[str, Organisation]:
        structures = {}
        admin = None
        for data in demo.STRUCTURES:
            values = {k: v for k, v in data.items() if k not in ("key", "verified")}
            structure, _ = Organisation.objects.update_or_create(
                kind=OrganisationKind.ESS, name=values.pop("name"), defaults=values
            )
            structure.full_clean()
            if data["verified"] and structure.verified_at is None:
                admin = admin or self._verifier()
                structure.verified_at, structure.verified_by = timezone.now(), admin
                structure.save(update_fields=["verified_at", "verified_by"])
            structures[data["key"]] = structure
        return structures

    def _verifier(self) -> User:
        email, first, last, *_ = demo.USERS[0]
        user, _ = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last}
        )
        return user

    def _sites(
        self, epci: Organisation, communes: dict[str, Commune], structures: dict[str, Organisation]
    ) -> list[Site]:
        amenities = {amenity.code: amenity for amenity in Amenity.objects.all()}
        sites = []
        for data in demo.SITES:
            commune = communes[data["commune"]]
            owner = epci if data["owner"] == "caph" else communes[data["owner"]].organisation
            site, _ = Site.objects.update_or_create(
                name=data["name"],
                commune=commune,
                defaults={
                    "owner": owner,
                    "managing_organisation": structures.get(data.get("manager_structure", "")),
                    "description": data["description"],
                    "street_number": data.get("street_number"),
                    "street_number_suffix": data.get("street_number_suffix", ""),
                    "street_name": data["street_name"],
                    "postcode": data["postcode"],
                    "latitude": Decimal(data["latitude"]),
                    "longitude": Decimal(data["longitude"]),
                    "domain": data["domain"],
                    "erp_types": data["erp_types"],
                    "erp_category": data["erp_category"],
                    "max_occupancy": data["max_occupancy"],
                    "status": data.get("status", "open"),
                    "is_demo": True,
                    **data["access"],
                },
            )
            site.full_clean()
            for (
                name,
                kind,
                floor,
                surface,
                capacity,
                codes,
                bookable,
                allocatable,
                vacant,
                rent,
            ) in data["spaces"]:
                space, _ = Space.objects.update_or_create(
                    site=site,
                    name=name,
                    defaults={
                        "kind": kind,
                        "floor": floor,
                        "surface_m2": Decimal(surface),
                        "capacity": capacity,
                        "bookable": bookable,
                        "allocatable": allocatable,
                        "vacant_since": vacant,
                        "reference_rent": Decimal(rent),
                    },
                )
                space.full_clean()
                space.amenities.set([amenities[code] for code in codes])
            sites.append(site)
        return sites

    def _users(
        self,
        epci: Organisation,
        communes: dict[str, Commune],
        structures: dict[str, Organisation],
        sites: list[Site],
    ) -> None:
        organisations = {"caph": epci, **structures}
        for email, first, last, key, role, superuser in demo.USERS:
            user, _ = User.objects.update_or_create(
                email=email,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": superuser,
                    "is_superuser": superuser,
                },
            )
            user.set_password(demo.DEMO_PASSWORD)
            user.email_confirmed_at = user.email_confirmed_at or timezone.now()
            user.save(update_fields=["password", "email_confirmed_at"])
            organisation = organisations.get(key) or communes[key].organisation
            Membership.objects.update_or_create(
                user=user, organisation=organisation, defaults={"role": role}
            )
            for site in sites:
                if site.name in demo.MANAGER_OF.get(email, []):
                    site.managers.add(user)

    def _photos(self, sites: list[Site]) -> None:
        """Drawn pictures (no real photo ships with the code), added through the upload path."""
        palette = [(29, 59, 111), (150, 75, 0), (30, 107, 52)]
        admin = User.objects.get(email=demo.USERS[0][0])  # the intercommunality manages all
        for index, site in enumerate(sites[:3]):
            if site.photos.exists():
                continue
            upload = SimpleUploadedFile(
                "demo.png", _building_picture(palette[index]), content_type="image/png"
            )
            photo_add(
                site=site,
                actor=admin,
                upload=upload,
                alt_text=f"Dessin de démonstration de la façade : {site.name}",
            )

    def _bookings(self, sites: list[Site]) -> None:
        """Opening hours, closures and a few requests, made through the booking services."""
        for space in Space.objects.filter(site__in=sites, bookable=True):
            for weekday, opens, closes in demo.OPENING_HOURS:
                OpeningHours.objects.get_or_create(
                    space=space, weekday=weekday, opens=opens, closes=closes
                )
        Space.objects.filter(site__in=sites, name__in=demo.INSTANT_SPACES).update(
            instant_confirmation=True
        )
        admin = User.objects.get(email=demo.USERS[0][0])
        building = Site.objects.get(name=demo.SITES[0]["name"])
        year = timezone.localdate().year + 1
        zone = local_zone()
        summer = Period(
            local_period(date(year, 8, 1), time(0), time(0), zone).start,
            local_period(date(year, 8, 22), time(0), time(0), zone).start,
        )
        if not Closure.objects.filter(site=building, start=summer.start).exists():
            closure_create(actor=admin, site=building, period=summer, reason=demo.SUMMER_CLOSURE)
        # Holidays already inside the summer closure are skipped by the service.
        closures_add_public_holidays(actor=admin, site=building, year=year)
        manager = User.objects.get(email="gestionnaire@demo.test")
        for (
            email,
            space_name,
            purpose,
            weekday,
            start,
            end,
            weeks,
            attendees,
            approve,
        ) in demo.BOOKINGS:
            user = User.objects.get(email=email)
            organisation = user.memberships.get().organisation
            if Booking.objects.filter(organisation=organisation, purpose=purpose).exists():
                continue
            day = timezone.localdate() + timedelta(days=7)
            day += timedelta(days=(weekday - day.weekday()) % 7)
            request = BookingRequest(
                space=Space.objects.get(site=building, name=space_name),
                organisation=organisation,
                purpose=purpose,
                attendees=attendees,
                first=local_period(day, start, end, local_zone()),
                frequency=Frequency.WEEKLY if weeks > 1 else Frequency.ONCE,
                repeat_count=weeks if weeks > 1 else None,
                skip_conflicts=weeks > 1,
            )
            booking = booking_request(request=request, requested_by=user)
            if approve:
                booking_approve(booking=booking, actor=manager)

    def _request_form(self) -> None:
        """A hall with questions, house rules and an insurance requirement (issue 16), and one
        request that answered them, awaiting its insurance certificate."""
        data = demo.REQUEST_FORM
        space = Space.objects.get(site__name=data["site"], name=data["space"])
        if RequestQuestion.objects.filter(space=space).exists():
            return
        manager = User.objects.get(email=data["manager"])
        space_conditions_set(
            space=space,
            actor=manager,
            house_rules=data["house_rules"],
            insurance_required=data["insurance_required"],
        )
        questions = []
        for text, kind, required, extra in data["questions"]:
            question = RequestQuestion(space=space, text=text, kind=kind, required=required)
            if kind == "choice":
                question.options = extra
            elif kind == "number":
                question.min_value, question.max_value = extra
            questions.append(request_question_save(question=question, actor=manager))
        wanted = data["request"]
        user = User.objects.get(email=wanted["requester"])
        day = timezone.localdate() + timedelta(days=14)
        day += timedelta(days=(wanted["weekday"] - day.weekday()) % 7)
        booking_request(
            request=BookingRequest(
                space=space,
                organisation=user.memberships.get().organisation,
                purpose=wanted["purpose"],
                attendees=wanted["attendees"],
                first=local_period(day, wanted["start"], wanted["end"], local_zone()),
                answers={
                    question.pk: answer
                    for question, answer in zip(questions, wanted["answers"], strict=True)
                    if answer
                },
                house_rules_accepted=True,
            ),
            requested_by=user,
        )

    def _equipment(self) -> None:
        """The Denain building's equipment, and one request that takes some (issue 16)."""
        building = Site.objects.get(name=demo.SITES[0]["name"])
        items = {
            name: Equipment.objects.get_or_create(
                site=building, name=name, defaults={"stock": stock}
            )[0]
            for name, stock in demo.EQUIPMENT
        }
        email, space_name, purpose, weekday, start, end, attendees, asked = demo.EQUIPMENT_BOOKING
        user = User.objects.get(email=email)
        organisation = user.memberships.get().organisation
        if Booking.objects.filter(organisation=organisation, purpose=purpose).exists():
            return
        day = timezone.localdate() + timedelta(days=7)
        day += timedelta(days=(weekday - day.weekday()) % 7)
        booking_request(
            request=BookingRequest(
                space=Space.objects.get(site=building, name=space_name),
                organisation=organisation,
                purpose=purpose,
                attendees=attendees,
                first=local_period(day, start, end, local_zone()),
                equipment=tuple((items[name].pk, quantity) for name, quantity in asked.items()),
            ),
            requested_by=user,
        )

    def _group(self) -> None:
        """A hall and its kitchen requested together (issue 16): one request, two bookings in
        one group, pending, on the first free afternoon from a fortnight on."""
        email, site_name, room_names, purpose, attendees = demo.GROUP_BOOKING
        user = User.objects.get(email=email)
        if Booking.objects.filter(requested_by=user, purpose=purpose).exists():
            return
        rooms = [Space.objects.get(site__name=site_name, name=name).pk for name in room_names]
        answers = {
            question.pk: demo.GROUP_ANSWERS[question.text]
            for question in RequestQuestion.objects.filter(
                space_id__in=rooms, text__in=list(demo.GROUP_ANSWERS)
            )
        }
        day = timezone.localdate() + timedelta(days=14)
        for _attempt in range(14):  # the demo's dates move with today
            request = BookingRequest(
                space=rooms[0],
                organisation=user.memberships.get().organisation,
                purpose=purpose,
                attendees=attendees,
                first=local_period(day, time(14), time(17), local_zone()),
                answers=answers,
                house_rules_accepted=True,
            )
            try:
                booking_request_several(request=request, spaces=rooms, requested_by=user)
            except (BookingConflict, ValidationError):
                day += timedelta(days=1)
            else:
                return

    def _conversation(self) -> None:
        """A few messages on a pending request, written through the conversation's service."""
        booking = Booking.objects.filter(purpose=demo.CONVERSATION_ON).first()
        if booking is None or booking.comments.exists():
            return
        for email, text in demo.CONVERSATION:
            booking_comment_post(booking=booking, actor=User.objects.get(email=email), body=text)

    def _slot_wait(self) -> None:
        """Issue 16: the insertion workshop waits for the slot of the association's general
        meeting, a request still to be decided: refused or cancelled, it is offered to it."""
        email, taken_purpose, purpose, attendees = demo.SLOT_WAIT
        user = User.objects.get(email=email)
        organisation = user.memberships.get().organisation
        taken = Booking.objects.filter(purpose=taken_purpose, status=BookingStatus.PENDING).first()
        if taken is None or SlotWait.objects.filter(organisation=organisation).exists():
            return
        try:
            slot_wait_join(
                space=taken.space_id,
                organisation=organisation,
                period=Period(taken.start, taken.end),
                purpose=purpose,
                attendees=attendees,
                requested_by=user,
            )
        except ValidationError:  # the demo's dates move with today: too close, nothing to show
            return

    def _moved(self) -> None:
        """Issue 16: a request of the association, moved by the facilities manager two days
        later in the morning (`booking_reschedule`: its history shows before and after)."""
        email, space_name, purpose, manager_email, reason = demo.MOVED_BOOKING
        user = User.objects.get(email=email)
        organisation = user.memberships.get().organisation
        if Booking.objects.filter(organisation=organisation, purpose=purpose).exists():
            return
        space = Space.objects.get(site__name=demo.SITES[0]["name"], name=space_name)
        manager = User.objects.get(email=manager_email)
        day = timezone.localdate() + timedelta(days=8)
        day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday, moved to the Thursday
        for _attempt in range(8):  # the first free week (the demo's dates move with today)
            try:
                with transaction.atomic():
                    booking = booking_request(
                        request=BookingRequest(
                            space=space,
                            organisation=organisation,
                            purpose=purpose,
                            attendees=6,
                            first=local_period(day, time(14), time(17), local_zone()),
                        ),
                        requested_by=user,
                    )
                    booking_reschedule(
                        booking=booking,
                        actor=manager,
                        change=BookingChange(
                            period=local_period(
                                day + timedelta(days=2), time(9), time(12), local_zone()
                            ),
                            reason=reason,
                        ),
                    )
            except (BookingConflict, ValidationError):
                day += timedelta(days=7)
            else:
                return

    def _application_conversation(self, structures: dict[str, Organisation]) -> None:
        """Issue 16: a few messages on an application to the call, through the service."""
        application = Application.objects.filter(
            call__title=demo.CALL["title"],
            structure=structures[demo.APPLICATION_CONVERSATION_OF],
        ).first()
        if application is None or application.comments.exists():
            return
        for email, text in demo.APPLICATION_CONVERSATION:
            application_comment_post(
                application=application, actor=User.objects.get(email=email), body=text
            )

    def _behalf_and_quota(self, structures: dict[str, Organisation]) -> None:
        """Issue 16: a quota on Denain's festival hall, and a booking the town hall made there
        on the phone for the insertion workshop (on its behalf, approved at once)."""
        hall = Site.objects.get(name=demo.BEHALF_SITE)
        agent = User.objects.get(email=demo.BEHALF_AGENT)
        quota_save(actor=agent, site=hall, **demo.QUOTA)
        structure = structures[demo.BEHALF_STRUCTURE]
        if Booking.objects.filter(organisation=structure, purpose=demo.BEHALF_PURPOSE).exists():
            return
        day = timezone.localdate() + timedelta(days=10)
        for _attempt in range(14):  # the first free afternoon (the demo's dates move with today)
            request = BookingRequest(
                space=Space.objects.get(site=hall, name=demo.BEHALF_SPACE),
                organisation=structure,
                purpose=demo.BEHALF_PURPOSE,
                attendees=40,
                first=local_period(day, time(14), time(17), local_zone()),
                approve=True,
            )
            try:
                booking_request(request=request, requested_by=agent)
            except (BookingConflict, ValidationError):
                day += timedelta(days=1)
            else:
                return

    def _long_term(self, structures: dict[str, Organisation]) -> None:
        """Documents, a published call with reviewed applications, and agreements."""
        admin = User.objects.get(email=demo.USERS[0][0])
        for key in ("asso", "aci", "scic"):
            self._documents(structures[key], admin)
        if not Call.objects.filter(title=demo.CALL["title"]).exists():
            self._call(structures, admin)
        for key, site_name, names, start, end, fee, basis, reference, reason in demo.AGREEMENTS:
            structure = structures[key]
            spaces = list(Space.objects.filter(site__name=site_name, name__in=names))
            if Allocation.objects.filter(structure=structure, spaces__in=spaces).exists():
                continue
            agreement = allocation_offer(
                actor=admin,
                structure=structure,
                spaces=spaces,
                start=start,
                end=end,
                annual_fee_cents=fee * 100,
                free_use_basis=basis,
                free_use_reference=reference,
                direct_reason=reason,
            )
            allocation_accept(  # the structure's administrator accepts
                allocation=agreement,
                actor=structure.memberships.filter(role=MembershipRole.ADMIN).first().user,
                house_rules_accepted=True,
                insurance_valid_until=end,
            )
            allocation_sign(allocation=agreement, actor=admin)

    def _history(self, structures: dict[str, Organisation]) -> None:
        """A year of past bookings and an agreement begun last year (demo.HISTORY_*), so the
        observatory and the aid reports show real figures. The services refuse past dates, so
        the bookings are written in bulk with their Occupancy rows, as the services leave them:
        confirmed (logged), a few dates or whole bookings cancelled (inactive rows)."""
        admin = User.objects.get(email=demo.USERS[0][0])
        today = timezone.localdate()
        for (
            key,
            site_name,
            names,
            months_ago,
            years,
            fee,
            basis,
            reference,
        ) in demo.HISTORY_AGREEMENTS:
            spaces = list(Space.objects.filter(site__name=site_name, name__in=names))
            if Allocation.objects.filter(structure=structures[key], spaces__in=spaces).exists():
                continue
            start = _months_before(today.replace(day=1), months_ago)
            agreement = allocation_offer(
                actor=admin,
                structure=structures[key],
                spaces=spaces,
                start=start,
                end=start.replace(year=start.year + years),
                annual_fee_cents=fee * 100,
                free_use_basis=basis,
                free_use_reference=reference,
                direct_reason="Occupant historique de la pépinière (démo).",
            )
            allocation_accept(
                allocation=agreement,
                actor=structures[key].memberships.filter(role=MembershipRole.ADMIN).first().user,
                house_rules_accepted=True,
                insurance_valid_until=agreement.end,
            )
            allocation_sign(allocation=agreement, actor=admin, today=start)
        if Booking.objects.filter(purpose__endswith=demo.HISTORY_MARK).exists():
            return
        company, _ = Organisation.objects.get_or_create(
            kind=OrganisationKind.OTHER,
            name=demo.HISTORY_COMPANY["name"],
            defaults={"email": demo.HISTORY_COMPANY["email"]},
        )
        communes = {
            c.insee_code: c.organisation for c in Commune.objects.select_related("organisation")
        }
        bookers = {**structures, **communes, "company": company}
        requesters = {
            membership.organisation_id: membership.user
            for membership in Membership.objects.select_related("user").order_by("-pk")
        }
        spaces = {
            (space.site.name, space.name): space
            for space in Space.objects.filter(site__is_demo=True).select_related("site")
        }
        zone = local_zone()
        first_day = today - timedelta(days=364)
        plans: list[tuple[Booking, list[tuple[Period, bool]]]] = []
        taken: dict[int, list[Period]] = {}

        def plan(space, booker, purpose, attendees, periods, *, frequency, cancelled=False):
            periods = [
                (period, cancel)
                for period, cancel in periods
                if not any(period.overlaps(other) for other in taken.get(space.pk, []))
            ]
            if not periods:
                return
            taken.setdefault(space.pk, []).extend(period for period, _cancel in periods)
            first, last = periods[0][0], periods[-1][0]
            organisation = bookers[booker]
            booking = Booking(
                space=space,
                organisation=organisation,
                requested_by=requesters.get(organisation.pk, admin),
                purpose=f"{purpose} {demo.HISTORY_MARK}",
                attendees=attendees,
                status=BookingStatus.CANCELLED if cancelled else BookingStatus.CONFIRMED,
                start=first.start,
                end=first.end,
                frequency=frequency,
                repeat_until=None if frequency == Frequency.ONCE else last.start.date(),
            )
            plans.append((booking, [(p, cancelled or cancel) for p, cancel in periods]))

        for site, name, booker, weekday, start, end, purpose, attendees in demo.HISTORY_WEEKLY:
            space = spaces[(site, name)]
            hours = demo.OPENING_HOURS if weekday == "all" else [(weekday, start, end)]
            for day_of_week, opens, closes in hours:
                day = first_day + timedelta(days=(day_of_week - first_day.weekday()) % 7)
                periods = []
                while day < today:
                    week = (day - first_day).days // 7
                    # One date in nine cancelled; the shared desk is always taken.
                    cancel = weekday != "all" and week % 9 == 4
                    periods.append((local_period(day, opens, closes, zone), cancel))
                    day += timedelta(days=7)
                plan(space, booker, purpose, attendees, periods, frequency=Frequency.WEEKLY)
        for (
            site,
            name,
            booker,
            days_ago,
            start,
            end,
            purpose,
            attendees,
            cancelled,
        ) in demo.HISTORY_ONE_OFFS:
            day = today - timedelta(days=days_ago)
            day -= timedelta(days=max(day.weekday() - 4, 0))  # a weekend → the Friday before
            period = local_period(day, start, end, zone)
            plan(
                spaces[(site, name)],
                booker,
                purpose,
                attendees,
                [(period, False)],
                frequency=Frequency.ONCE,
                cancelled=cancelled,
            )
        bookings = Booking.objects.bulk_create([booking for booking, _periods in plans])
        cancelled_at = timezone.now()
        occupancies_record_past(
            held=[
                (booking, periods)
                for booking, (_plan, periods) in zip(bookings, plans, strict=True)
            ],
            cancelled_at=cancelled_at,
        )
        logs = []
        for booking, (_plan, periods) in zip(bookings, plans, strict=True):
            logs.append(BookingLog(booking=booking, to_status=BookingStatus.PENDING))
            logs.append(
                BookingLog(
                    booking=booking,
                    from_status=BookingStatus.PENDING,
                    to_status=BookingStatus.CONFIRMED,
                    actor=admin,
                )
            )
            if booking.status == BookingStatus.CANCELLED:
                logs.append(
                    BookingLog(
                        booking=booking,
                        from_status=BookingStatus.CONFIRMED,
                        to_status=BookingStatus.CANCELLED,
                        actor=booking.requested_by,
                        reason="Annulée par la structure (démo).",
                    )
                )
                continue
            logs += [
                BookingLog(
                    booking=booking,
                    from_status=BookingStatus.CONFIRMED,
                    to_status=BookingStatus.CANCELLED,
                    occurrence_start=period.start,
                    actor=booking.requested_by,
                    reason="Date annulée par la structure (démo).",
                )
                for period, cancelled in periods
                if cancelled
            ]
        BookingLog.objects.bulk_create(logs)

    def _check_in(self) -> None:
        """Issue 16: check-in required in the Denain building's main room; of the structure's
        past meetings there, the last but one checked in, the last one a no-show whose slot's
        rest was released — through the Occupancy writer, as the service and the job leave
        them (both refuse past dates: their window is over)."""
        data = demo.CHECK_IN
        space = Space.objects.get(site__name=data["site"], name=data["space"])
        manager = User.objects.get(email=data["manager"])
        check_in_settings_set(
            space=space, actor=manager, required=True, grace_minutes=data["grace_minutes"]
        )
        rows = Occupancy.objects.filter(
            space=space,
            active=True,
            booking__purpose=f"{data['purpose']} {demo.HISTORY_MARK}",
            end__lte=timezone.now(),
        ).order_by("-start")[:2]
        if len(rows) < 2 or any(row.checked_in_at or row.no_show_at for row in rows):
            return
        last, before = rows
        occupancy_check_in(
            row=before,
            at=before.start - timedelta(minutes=10),
            by=User.objects.get(email=data["member"]),
        )
        missed = last.start + timedelta(minutes=data["grace_minutes"] + 1)
        occupancy_release_no_show(row_id=last.pk, at=missed, release=release_moment(missed))

    def _documents(self, structure: Organisation, actor: User) -> None:
        for kind, expires_on in (
            (DocumentKind.STATUTES, None),
            (DocumentKind.INSURANCE, date(timezone.localdate().year + 2, 12, 31)),
        ):
            if structure.documents.filter(kind=kind).exists():
                continue
            upload = SimpleUploadedFile(
                f"{kind}-demo.pdf", _demo_pdf(), content_type="application/pdf"
            )
            document_add(
                organisation=structure, kind=kind, upload=upload, expires_on=expires_on, actor=actor
            )

    def _call(self, structures: dict[str, Organisation], admin: User) -> None:
        building = Site.objects.get(name=demo.SITES[0]["name"])
        lots = {space.name: space for space in building.spaces.filter(name__in=demo.CALL["lots"])}
        call = call_create(
            actor=admin,
            owner=building.owner,
            title=demo.CALL["title"],
            presentation=demo.CALL["presentation"],
            eligibility=demo.CALL["eligibility"],
            spaces=[lots[name] for name in demo.CALL["lots"]],
            required_documents=demo.CALL["documents"],
            deadline=timezone.now() + timedelta(days=45),
        )
        call_publish(call=call, actor=admin)
        call.refresh_from_db()
        call_lots = {lot.space.name: lot for lot in call.lots.select_related("space")}
        reviewers = {}
        for email in ("commune@demo.test", "admin@demo.test"):
            reviewer = User.objects.get(email=email)
            assignment = reviewer_assign(call=call, reviewer=reviewer, actor=admin)
            reviewer_declare(assignment=assignment, actor=reviewer, conflict_of_interest=False)
            reviewers[email] = reviewer
        criteria = list(call.criteria.order_by("position"))
        for key, lots_wanted, project, marks in demo.APPLICATIONS:
            structure = structures[key]
            member = structure.memberships.select_related("user").first()
            actor = member.user if member else admin
            application = application_start(call=call, structure=structure, actor=actor)
            application_update(
                application=application,
                actor=actor,
                project=project,
                needed_surface_m2=None,
                needed_kind="",
                wanted_start=date(timezone.localdate().year + 1, 3, 1),
                duration_months=24,
                lots_ranked=[call_lots[name] for name in lots_wanted],
                documents=list(structure.documents.all()),
                republican_commitment_signatory=f"{actor.get_full_name() or actor.email} (démo)",
            )
            application_submit(application=application, actor=actor)
            for email, values in marks.items():
                for criterion, mark in zip(criteria, values, strict=True):
                    score_record(
                        application=application,
                        reviewer=reviewers[email],
                        criterion=criterion,
                        mark=mark,
                    )

    def _season(self) -> None:
        """Denain's campaign for 2027–2028 (demo.SEASON): 30 structures' wishes through the
        real services, then closed and planned. Seeded once (its title is the key)."""
        if Campaign.objects.filter(title=demo.SEASON["title"]).exists():
            return
        admin = User.objects.get(email=demo.USERS[0][0])
        rooms = list(
            Space.objects.filter(
                site__commune__insee_code=demo.SEASON["owner"], name__in=demo.SEASON["rooms"]
            ).order_by("pk")
        )
        members = []
        for n, name in enumerate(demo.SEASON_STRUCTURES, start=1):
            structure, _ = Organisation.objects.get_or_create(
                kind=OrganisationKind.ESS,
                name=name,
                defaults={
                    "ess_family": "association",
                    "description": "Structure de démonstration.",
                },
            )
            if structure.verified_at is None:
                structure.verified_at, structure.verified_by = timezone.now(), admin
                structure.save(update_fields=["verified_at", "verified_by"])
            user, created = User.objects.get_or_create(email=f"saison-{n:02d}@demo.test")
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, organisation=structure)
            members.append((structure, user))
        campaign = campaign_create(
            actor=admin,
            owner=Commune.objects.get(insee_code=demo.SEASON["owner"]).organisation,
            terms=CampaignTerms(
                title=demo.SEASON["title"],
                school_year=demo.SEASON["school_year"],
                opens_on=timezone.localdate(),
                deadline=timezone.now() + timedelta(days=30),
                spaces=rooms,
                hours_per_week=demo.SEASON["hours_per_week"],
                local_first=True,
                local_structures=[s for s, _u in members[:: demo.SEASON["local_share"]]],
                favoured_activities=demo.SEASON["favoured_activities"],
            ),
        )
        campaign_open(campaign=campaign, actor=admin)
        activities = ["sport", "culture", "social", "education", "citizenship"]
        for n, (structure, user) in enumerate(members):
            for rank in (1, 2):
                weekday, start = (n + rank) % 5, 17 + (n * 7 + rank) % 4
                first, second = rooms[(n + rank) % len(rooms)], rooms[(n + rank + 1) % len(rooms)]
                try:
                    wish_submit(
                        actor=user,
                        campaign=campaign,
                        structure=structure,
                        rank=rank,
                        attendees=8 + n % 6,
                        purpose=f"Activité hebdomadaire n° {rank}",
                        activity=activities[n % len(activities)],
                        period="year",
                        options=[
                            OptionInput(weekday, time(start), time(start + 2), space=first),
                            OptionInput(
                                (weekday + 1) % 5, time(start), time(start + 2), space=second
                            ),
                        ],
                    )
                except ValidationError:
                    continue  # a room closed at that time: the structure asks for less
        campaign_close(campaign=campaign, actor=admin)
        plan_run(campaign=campaign, actor=admin)

    def _summary(self) -> str:
        lines = [
            "Territoire de démonstration chargé : "
            f"{Commune.objects.count()} communes, {Site.objects.count()} sites, "
            f"{Space.objects.count()} espaces.",
            "Comptes de démonstration (mot de passe « demo ») :",
        ]
        lines += [f"  {email:<30} {last}" for email, _first, last, *_ in demo.USERS]
        return "\n".join(lines)


def _months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the day must exist then: a first of the month)."""
    index = day.year * 12 + day.month - 1 - months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _building_picture(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (640, 400), (230, 236, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 120, 520, 380), fill=colour)
    for row in range(3):
        for column in range(5):
            x, y = 150 + column * 72, 150 + row * 70
            draw.rectangle((x, y, x + 40, y + 40), fill=(250, 250, 250))
    draw.rectangle((0, 380, 640, 400), fill=(90, 90, 90))
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()
