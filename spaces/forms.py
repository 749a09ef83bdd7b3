from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind, User
from core.fields import SingleLineFormField
from core.forms import AccessibleForm, AccessibleModelForm, ServiceValidatedModelForm
from core.validators import validate_single_line
from spaces.models import ErpType, OpeningHours, Site, Space
from spaces.selectors import managing_organisation_choices, site_owners_for

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SiteForm(ServiceValidatedModelForm):
    erp_types = forms.MultipleChoiceField(
        label=_("ERP types"),
        choices=ErpType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The main activity type first; tick every type that applies."),
    )

    class Meta:
        model = Site
        fields = [
            "name",
            "owner",
            "description",
            "street_number",
            "street_number_suffix",
            "street_name",
            "address_complement",
            "postcode",
            "commune",
            "latitude",
            "longitude",
            "domain",
            "is_erp",
            "erp_types",
            "erp_category",
            "max_occupancy",
            "step_free_entrance",
            "entrance_width_cm",
            "has_lift",
            "accessible_toilets",
            "accessible_parking",
            "hearing_loop",
            "public_transport_nearby",
            "accessibility_notes",
            "status",
            "is_published",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "accessibility_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The admin builds this form without the fields a view-only user may not edit.
        if "owner" in self.fields:
            owners = site_owners_for(user)
            if self.instance.owner_id is not None:
                # A facilities manager edits the site without belonging to its owner: keep it.
                owners = owners | Organisation.objects.filter(pk=self.instance.owner_id)
            self.fields["owner"].queryset = owners.order_by("name")
        if "commune" in self.fields:
            self.fields["commune"].queryset = self.fields["commune"].queryset.order_by("name")
        if "latitude" in self.fields:
            self.fields["latitude"].help_text = _("WGS 84, e.g. 50.3289")
        if "longitude" in self.fields:
            self.fields["longitude"].help_text = _("WGS 84, e.g. 3.3956")


class SpaceForm(ServiceValidatedModelForm):
    allowed_organisation_kinds = forms.MultipleChoiceField(
        label=_("Organisations that may book"),
        choices=OrganisationKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Space
        fields = [
            "name",
            "inventory_id",
            "kind",
            "floor",
            "surface_m2",
            "capacity",
            "amenities",
            "description",
            "bookable",
            "allocatable",
            "status",
            "vacant_since",
            "reference_rent",
            "instant_confirmation",
            "change_approval",
            "min_booking_minutes",
            "max_booking_minutes",
            "min_notice_hours",
            "max_advance_days",
            "buffer_minutes",
            "cancellation_notice_hours",
            "allowed_organisation_kinds",
        ]
        widgets = {
            "amenities": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "vacant_since": _DATE,
        }


class PhotoForm(AccessibleForm):
    image = forms.FileField(
        label=_("Photo"), help_text=_("JPEG, PNG or WebP, 5 MB and 40 megapixels at most.")
    )
    alt_text = SingleLineFormField(
        label=_("Description of the photo"),
        max_length=250,
        help_text=_("What the photo shows, for people who cannot see it."),
    )
    space = forms.ModelChoiceField(
        label=_("Space shown"),
        queryset=Space.objects.none(),
        required=False,
        empty_label=_("The building as a whole"),
    )

    def __init__(self, *args, site: Site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = site.spaces.order_by("name")


class OpeningHoursForm(AccessibleModelForm):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


OpeningHoursFormSet = forms.inlineformset_factory(
    Space, OpeningHours, form=OpeningHoursForm, extra=3, can_delete=True
)


class SiteManagerAddForm(AccessibleForm):
    """A facilities manager is a person who already has an account."""

    email = forms.EmailField(
        label=_("E-mail address of the facilities manager"),
        help_text=_("The person must already have an account on the platform."),
        validators=[validate_single_line],
    )
    may_commit_owner = forms.BooleanField(
        label=_("May commit the owner to agreements"),
        required=False,
        help_text=_(
            "Offer, sign, renew and end occupancy agreements, and grant free use or a fee, on "
            "the owner's behalf."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_manager_%s")  # the page has other forms
        super().__init__(*args, **kwargs)


class ManagingOrganisationForm(AccessibleForm):
    managing_organisation = forms.ModelChoiceField(
        label=_("Organisation that runs the building"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("The owner runs it"),
        help_text=_(
            "Another body (a SCIC, another commune…) runs the building for the owner: it "
            "collects the fees of its spaces through its own payment channel."
        ),
    )

    def __init__(self, *args, site: Site, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_running_%s")
        kwargs.setdefault("initial", {"managing_organisation": site.managing_organisation_id})
        super().__init__(*args, **kwargs)
        self.fields["managing_organisation"].queryset = managing_organisation_choices(site)


class AmenityForm(AccessibleForm):
    name = SingleLineFormField(label=_("Name of the equipment"), max_length=100)

    def __init__(self, *args, prefix_id: str = "new", **kwargs) -> None:
        kwargs.setdefault("auto_id", f"id_amenity_{prefix_id}_%s")  # one form per row
        super().__init__(*args, **kwargs)


class WidgetOriginForm(AccessibleForm):
    """A website allowed to show the availability widget (checked by the service)."""

    origin = SingleLineFormField(
        label=_("Website address"),
        max_length=300,
        # fr: L’adresse de votre site, sans chemin : https://www.denain.fr
        help_text=_("Your website's address, without a path: https://www.denain.fr"),
        widget=forms.TextInput(attrs={"inputmode": "url", "spellcheck": "false"}),
    )
