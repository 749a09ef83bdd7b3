"""The availability widget: the origins (websites) allowed to show an organisation's widget in a
frame (the page's `Content-Security-Policy: frame-ancestors`)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.fields import SingleLineCharField

# An organisation lists its own websites; more would be a sign of misuse (or of a wildcard
# spelled out) and would lengthen every widget answer's header.
MAX_WIDGET_ORIGINS = 20


class WidgetOrigin(models.Model):
    """A website (scheme, host, optional port) that may frame the organisation's widget."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="widget_origins",
    )
    # Normalised by spaces.validators.origin_normalise: lower case, no default port, no path.
    origin = SingleLineCharField(_("website origin"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("added on"), auto_now_add=True)

    class Meta:
        verbose_name = _("widget website")
        verbose_name_plural = _("widget websites")
        ordering = ["origin", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "origin"], name="widgetorigin_unique_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.origin
