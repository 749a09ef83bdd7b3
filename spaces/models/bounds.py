"""Domain bounds of what managers type: a larger number is a typing error (and 10**20 overflowed
the integer columns). Sites and spaces use them; bookings and calls use the same ones."""

# 100,000 €, as payments.rules.MAX_AMOUNT_CENTS (spaces sits below payments and cannot import it).
MAX_DEPOSIT_CENTS = 10_000_000
MAX_PEOPLE = 100_000
MAX_SURFACE_M2 = 100_000
MAX_RENT_PER_M2 = 10_000  # euros per m² and per year
MAX_MINUTES = 366 * 24 * 60  # a booking's duration: a year at most
MAX_HOURS = 366 * 24  # notices: a year at most
MAX_DAYS = 10 * 366  # how far ahead: ten years at most
