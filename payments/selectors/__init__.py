"""Reads of payments, one module per concern:

- `channels`: the organisations whose payment channel a user may set up;
- `prices`: tariffs, who collects the fees of a space and through which channel, the price of a
  booking;
- `payments`: permission-scoped payments, the live payment of a booking, those to reconcile;
- `billing`: billing lines for the public accountant;
- `agreements`: the monthly fees of agreements (billable agreements, collector, overdue months);
- `deposits`: deposits held on the card (when placed, when released, the booking page's panel);
- `documents`: invoices and credit notes.

The public names are re-exported here: `from payments.selectors import billing_lines` works.
"""

from payments.selectors.agreements import (
    AGREEMENT_BILLABLE,
    agreement_collector,
    agreement_month_price_of,
    agreement_occupied_end,
    agreement_payments,
    agreement_payments_overdue,
    agreement_payments_overdue_for,
    agreements_billable,
)
from payments.selectors.billing import BillingLine, accounting_owners_for, billing_lines
from payments.selectors.channels import channel_owners_for
from payments.selectors.deposits import (
    DEPOSIT_HOLD_DAYS_BEFORE,
    DEPOSIT_RELEASE_HOURS,
    DepositPanel,
    booking_use_ends_at,
    deposit_live_of,
    deposit_opens_at,
    deposit_panel_of,
    deposits_to_release,
)
from payments.selectors.documents import (
    invoices_visible_to,
    payments_without_invoice,
    refunds_without_credit_note,
)
from payments.selectors.payments import (
    booking_charges_captured,
    booking_charges_of,
    payment_live_of,
    payments_manageable_by,
    payments_payable_by,
    payments_to_reconcile,
    payments_visible_to,
    supplement_unpaid_of,
)
from payments.selectors.prices import (
    FeeRoute,
    FeeRouteKind,
    RoomDate,
    booking_quote,
    category_of,
    channel_of,
    collecting_organisation,
    fee_channel_for,
    fee_route_of,
    fee_route_of_collector,
    invoicing_channels_q,
    price_quote,
    rooms_quote,
    space_is_priced,
    tariff_grid,
    tariffs_for,
    tariffs_of_spaces,
)

__all__ = [
    "AGREEMENT_BILLABLE",
    "DEPOSIT_HOLD_DAYS_BEFORE",
    "DEPOSIT_RELEASE_HOURS",
    "BillingLine",
    "DepositPanel",
    "FeeRoute",
    "FeeRouteKind",
    "RoomDate",
    "accounting_owners_for",
    "agreement_collector",
    "agreement_month_price_of",
    "agreement_occupied_end",
    "agreement_payments",
    "agreement_payments_overdue",
    "agreement_payments_overdue_for",
    "agreements_billable",
    "billing_lines",
    "booking_charges_captured",
    "booking_charges_of",
    "booking_quote",
    "booking_use_ends_at",
    "category_of",
    "channel_of",
    "channel_owners_for",
    "collecting_organisation",
    "deposit_live_of",
    "deposit_opens_at",
    "deposit_panel_of",
    "deposits_to_release",
    "fee_channel_for",
    "fee_route_of",
    "fee_route_of_collector",
    "invoices_visible_to",
    "invoicing_channels_q",
    "payment_live_of",
    "payments_manageable_by",
    "payments_payable_by",
    "payments_to_reconcile",
    "payments_visible_to",
    "payments_without_invoice",
    "price_quote",
    "refunds_without_credit_note",
    "rooms_quote",
    "space_is_priced",
    "supplement_unpaid_of",
    "tariff_grid",
    "tariffs_for",
    "tariffs_of_spaces",
]
