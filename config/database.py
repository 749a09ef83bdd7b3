"""Connection options shared by the settings and the tests that prove them."""


def postgresql_timeouts(*, connect_timeout: int, statement_timeout: int) -> dict[str, object]:
    """psycopg OPTIONS giving up on a silent server: `connect_timeout` seconds to connect (libpq),
    `statement_timeout` seconds per statement (the server cancels it). 0 disables either."""
    return {
        "connect_timeout": connect_timeout,
        "options": f"-c statement_timeout={statement_timeout * 1000}",
    }
