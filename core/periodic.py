"""The options the periodic jobs share (config/schedule.py; the tasks in each app's tasks.py):
retries on transient database errors, time limits, and how long their locks (core.locks) last.
"""

from typing import Any

from django.db import InterfaceError, OperationalError

# A job that meets a transient database error (a dropped connection, a deadlock or a
# serialisation failure on PostgreSQL, "database is locked" on SQLite) is tried again a little
# later: every periodic job is idempotent, so running part of it twice is harmless.
RETRY_ON_DB_ERRORS: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 30,
    "retry_jitter": True,
    "max_retries": 3,
}
# Time limits (enforced by the prefork pool of `make worker`, not by a solo pool): a job that
# hangs (a remote server that never answers) is stopped and its worker freed. The soft limit
# raises SoftTimeLimitExceeded inside the job, which stops between two rows it has committed;
# the next run goes on from there.
FREQUENT_JOB: dict[str, Any] = {
    **RETRY_ON_DB_ERRORS,
    "soft_time_limit": 4 * 60,
    "time_limit": 5 * 60,
}
DAILY_JOB: dict[str, Any] = {
    **RETRY_ON_DB_ERRORS,
    "soft_time_limit": 25 * 60,
    "time_limit": 30 * 60,
}
# A job's lock outlives its hard time limit: it can never expire while the job still runs, and
# a killed worker's lock frees the job a few minutes later.
FREQUENT_JOB_LOCK_SECONDS = 6 * 60
DAILY_JOB_LOCK_SECONDS = 35 * 60
