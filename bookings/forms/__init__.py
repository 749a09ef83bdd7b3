"""Forms of the bookings pages, one module per sub-domain:

- `requests`: a booking request (a slot or a series), the availability search, decisions and
  cancellations;
- `allocations`: the occupancy agreement pages (offer, answer, signature, end, renewal, keys,
  inventories);
- `comments`: a message in a booking's conversation;
- `closures`: closing a site or a space, adding the public holidays;
- `feeds`: creating a calendar subscription;
- `behalf`: booking on behalf of a structure (the organisation field, the agent's options);
- `quotas`: a site's booking quotas.

They only collect values: the services decide. The public names are re-exported here:
`from bookings.forms import ClosureForm` works.
"""

from bookings.forms.allocations import (
    CREATE_FIELDS,
    AgreementTermsForm,
    AllocationAcceptForm,
    AllocationCreateForm,
    AllocationEndForm,
    AllocationReasonForm,
    AllocationRenewForm,
    AllocationSignForm,
    InventoryForm,
    InventoryPhotoForm,
    KeyIssueForm,
    KeyReturnForm,
    SharingWindowForm,
    SpaceChoiceField,
    TimelineForm,
    euros_to_cents,
)
from bookings.forms.behalf import BehalfForm, OrganisationChoiceField
from bookings.forms.closures import WHOLE_SITE, ClosureForm, PublicHolidaysForm
from bookings.forms.comments import BookingCommentForm
from bookings.forms.feeds import CalendarFeedForm
from bookings.forms.quotas import QuotaForm
from bookings.forms.requests import (
    AvailabilitySearchForm,
    BookingChangeForm,
    BookingRequestForm,
    BulkDecisionForm,
    CancelForm,
    ReasonForm,
    SeriesChangeForm,
    SlotForm,
    WidgetSearchForm,
)

__all__ = [
    "CREATE_FIELDS",
    "WHOLE_SITE",
    "AgreementTermsForm",
    "AllocationAcceptForm",
    "AllocationCreateForm",
    "AllocationEndForm",
    "AllocationReasonForm",
    "AllocationRenewForm",
    "AllocationSignForm",
    "AvailabilitySearchForm",
    "BehalfForm",
    "BookingChangeForm",
    "BookingCommentForm",
    "BookingRequestForm",
    "BulkDecisionForm",
    "CalendarFeedForm",
    "CancelForm",
    "ClosureForm",
    "InventoryForm",
    "InventoryPhotoForm",
    "KeyIssueForm",
    "KeyReturnForm",
    "OrganisationChoiceField",
    "PublicHolidaysForm",
    "QuotaForm",
    "ReasonForm",
    "SeriesChangeForm",
    "SharingWindowForm",
    "SlotForm",
    "SpaceChoiceField",
    "TimelineForm",
    "WidgetSearchForm",
    "euros_to_cents",
]
