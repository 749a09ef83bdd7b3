"""Occupancy agreements (HTML), one module per sub-domain: `pages` (list, direct creation, the
agreement page, the PDF), `lifecycle` (the structure's answer, signature, early termination,
renewal), `handover` (keys, inventories of fixtures), `timeline` (the site timeline).

Everything is fetched through the permission querysets of bookings.selectors, so outsiders
get a 404; the services in bookings/allocations/ decide and log. A form in error re-renders
the agreement page with that form bound (400), a clash with the bookings listed (409).
"""
