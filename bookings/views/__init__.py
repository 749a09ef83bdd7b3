"""HTML views of bookings, one module per sub-domain (requests, calendars, closures, feeds)."""
