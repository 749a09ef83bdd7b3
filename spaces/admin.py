from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models

from core.admin import HistoryAdmin, ScopedAdminMixin
from core.fields import BoundedJSONFormField
from spaces.forms import SiteForm
from spaces.models import (
    Amenity,
    Commune,
    EpciMembership,
    OpeningHours,
    Photo,
    PostalCode,
    Site,
    SiteManager,
    Space,
    WidgetOrigin,
)
from spaces.selectors import (
    sites_manageable_by,
    sites_of_owner_staff,
    spaces_manageable_by,
    widget_origins_manageable_by,
)
from spaces.services import site_validate


@admin.register(PostalCode)
class PostalCodeAdmin(admin.ModelAdmin):
    search_fields = ["code"]


class EpciMembershipInline(admin.TabularInline):
    model = EpciMembership
    extra = 0


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "insee_code", "population", "organisation"]
    search_fields = ["name", "insee_code", "postcodes__code"]
    list_filter = ["epci_memberships__epci"]
    filter_horizontal = ["postcodes"]
    inlines = [EpciMembershipInline]


@admin.register(Amenity)
class AmenityAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class SpaceInline(admin.TabularInline):
    model = Space
    extra = 0
    fields = [
        "name",
        "kind",
        "floor",
        "surface_m2",
        "capacity",
        "bookable",
        "allocatable",
        "status",
    ]
    show_change_link = True


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    fields = ["image", "alt_text", "space", "position"]
    readonly_fields = ["image"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # photos are re-encoded on upload: add them from the site's photo page


class SiteManagerInline(admin.TabularInline):
    """Facilities managers of the site; only the owner's staff (or the intercommunality for its
    own premises) delegate the commitment of the owner: a manager cannot delegate to itself."""

    model = SiteManager
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "may_commit_owner"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not sites_of_owner_staff(request.user).filter(pk=obj.pk).exists():
            return ["may_commit_owner"]
        return []


class SiteAdminForm(SiteForm):
    """The admin edits sites with the same rules as the site pages (territory, postcode, owner)."""

    class Meta(SiteForm.Meta):
        fields = [*SiteForm.Meta.fields, "managing_organisation"]

    def __init__(self, *args, **kwargs) -> None:
        self.request_user = kwargs.pop("user")
        super().__init__(*args, user=self.request_user, **kwargs)

    def _post_clean(self) -> None:
        super()._post_clean()
        try:
            self.instance.full_clean(exclude=self._get_validation_exclusions())
            site_validate(site=self.instance, actor=self.request_user)
        except ValidationError as exc:
            self._update_errors(exc)


@admin.register(Site)
class SiteAdmin(ScopedAdminMixin, HistoryAdmin):
    scope = sites_manageable_by
    form = SiteAdminForm
    list_display = ["name", "commune", "owner", "status", "is_published", "is_demo"]
    list_filter = ["status", "is_published", "domain", "is_erp", "commune"]
    search_fields = ["name", "street_name", "commune__name", "owner__name"]
    autocomplete_fields = ["owner", "managing_organisation"]
    readonly_fields = ["is_demo", "created_at", "updated_at"]
    inlines = [SiteManagerInline, SpaceInline, PhotoInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class BoundUserForm(form_class):
            def __init__(self, *args, **kw) -> None:
                super().__init__(*args, user=request.user, **kw)

        return BoundUserForm


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Space)
class SpaceAdmin(ScopedAdminMixin, HistoryAdmin):
    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONFormField}}
    inlines = [OpeningHoursInline]
    scope = spaces_manageable_by
    list_display = ["name", "site", "kind", "surface_m2", "capacity", "bookable", "allocatable"]
    list_filter = ["kind", "bookable", "allocatable", "status", "site__commune"]
    search_fields = ["name", "site__name"]
    autocomplete_fields = ["site"]
    filter_horizontal = ["amenities"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(WidgetOrigin)
class WidgetOriginAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read and remove only: an origin reaches a CSP header, so it is typed on the widget page,
    whose service normalises it (spaces.services.widget_origin_add)."""

    scope = widget_origins_manageable_by
    list_display = ["origin", "organisation", "created_by", "created_at"]
    search_fields = ["origin", "organisation__name"]
    readonly_fields = ["organisation", "origin", "created_by", "created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
