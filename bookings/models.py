# Occupancy, bookings, calls for applications and allocations arrive with the Bookings issue.
