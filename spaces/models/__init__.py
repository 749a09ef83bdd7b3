"""Models of spaces, one module per aggregate: `territory` (postcodes, communes, EPCI
membership), `sites` (buildings and their facilities managers), `spaces` (spaces, equipment,
opening hours, photos), `widgets` (websites allowed to frame the
availability widget); `bounds` holds the domain bounds of what managers type."""

from spaces.models.bounds import (
    MAX_DAYS,
    MAX_DEPOSIT_CENTS,
    MAX_HOURS,
    MAX_MINUTES,
    MAX_PEOPLE,
    MAX_RENT_PER_M2,
    MAX_SURFACE_M2,
)
from spaces.models.sites import Domain, ErpCategory, ErpType, Site, SiteManager, SiteStatus
from spaces.models.spaces import (
    Amenity,
    BufferMinutes,
    ChangeApproval,
    OpeningHours,
    Photo,
    Space,
    SpaceKind,
    SpaceStatus,
    Weekday,
)
from spaces.models.territory import (
    Commune,
    EpciMembership,
    PostalCode,
    insee_code_validator,
    postcode_validator,
)
from spaces.models.widgets import MAX_WIDGET_ORIGINS, WidgetOrigin

__all__ = [
    "MAX_DAYS",
    "MAX_DEPOSIT_CENTS",
    "MAX_HOURS",
    "MAX_MINUTES",
    "MAX_PEOPLE",
    "MAX_RENT_PER_M2",
    "MAX_SURFACE_M2",
    "MAX_WIDGET_ORIGINS",
    "Amenity",
    "BufferMinutes",
    "ChangeApproval",
    "Commune",
    "Domain",
    "EpciMembership",
    "ErpCategory",
    "ErpType",
    "OpeningHours",
    "Photo",
    "PostalCode",
    "Site",
    "SiteManager",
    "SiteStatus",
    "Space",
    "SpaceKind",
    "SpaceStatus",
    "Weekday",
    "WidgetOrigin",
    "insee_code_validator",
    "postcode_validator",
]
