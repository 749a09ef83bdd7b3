"""Writes on payments, one module per concern:

- `tariffs`: tariffs of spaces and payment channels of owners;
- `status`: the one status-change mechanism of a payment, and syncing with Stripe's state;
- `cards`: card payments of bookings (hold, capture, release, pay links);
- `refunds`: refunds a manager decides and those the cancellation policy gives back;
- `webhooks`: Stripe webhooks and reconciliation;
- `deposits`: deposits held on the card, released after use or kept with a reason;
- `agreements`: monthly payment requests of long-term agreements;
- `documents`: invoices and credit notes with sequential numbers per owner.
"""
