"""The form that creates a calendar subscription."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.selectors import AnyUser
from bookings import ics
from bookings.models import CalendarFeed
from core.forms import AccessibleForm


class CalendarFeedForm(AccessibleForm):
    """One list grouped by kind (spaces, sites, organisations): the choice gives scope and target.

    A single grouped select works without JavaScript (strict CSP) and reads well with a screen
    reader (optgroup labels); its options are exactly what the user may subscribe to.
    """

    target = forms.ChoiceField(
        label=_("Calendar"),
        help_text=_("A space or a site you manage, or one of your organisations."),
    )

    def __init__(self, *args, user: AnyUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        targets = ics.feed_targets_for(user)
        self._targets: dict[str, tuple[str, object]] = {}
        groups = []
        for scope, label, queryset in [
            (
                CalendarFeed.Scope.SPACE,
                _("Spaces I manage"),
                targets[CalendarFeed.Scope.SPACE]
                .select_related("site")
                .order_by("site__name", "name", "pk"),
            ),
            (
                CalendarFeed.Scope.SITE,
                _("Sites I manage"),
                targets[CalendarFeed.Scope.SITE]
                .select_related("commune")
                .order_by("commune__name", "name", "pk"),
            ),
            (
                CalendarFeed.Scope.ORGANISATION,
                _("My organisations"),
                targets[CalendarFeed.Scope.ORGANISATION].order_by("name", "pk"),
            ),
        ]:
            options = []
            for target in queryset:
                key = f"{scope}-{target.pk}"
                self._targets[key] = (scope, target)
                options.append((key, _option_label(scope, target)))
            if options:
                groups.append((label, options))
        self.fields["target"].choices = [("", _("Choose a calendar")), *groups]

    @property
    def has_choices(self) -> bool:
        return bool(self._targets)

    @property
    def choice(self) -> tuple[str, object]:
        """(scope, target object) once the form is valid."""
        return self._targets[self.cleaned_data["target"]]


def _option_label(scope: str, target) -> str:
    if scope == CalendarFeed.Scope.SPACE:
        return _("%(space)s (%(site)s)") % {"space": target.name, "site": target.site.name}
    if scope == CalendarFeed.Scope.SITE:
        return _("%(site)s (%(commune)s)") % {"site": target.name, "commune": target.commune.name}
    return target.name
