"""The webhooks block of an organisation's page (accounts' `structure_detail.sections` slot),
registered in `IntegrationsConfig.ready`. No query: the page already knows whether the user
administers the organisation (`can_manage`)."""

from django.http import HttpRequest

from accounts.models import Organisation
from core.panels import Panel


def organisation_webhooks(
    request: HttpRequest | None, organisation: Organisation, /, can_manage: bool = False
) -> Panel | None:
    """A link to the organisation's webhooks, for its administrators."""
    if request is None or not can_manage:
        return None
    return Panel("integrations/_structure_panel.html", {"organisation": organisation})
