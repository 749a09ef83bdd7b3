"""The Celery application: background jobs and the beat schedule (config/schedule.py).

Without a broker (no CELERY_BROKER_URL nor REDIS_URL: the SQLite demo, `make run`), tasks run
in-process at once (eager), so nothing needs Redis. With one, `make worker` and `make beat`
(or the systemd units of docs/deploy.md) run them against Redis.
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("locaux")
# Settings named CELERY_… in config/settings.py (CELERY_BROKER_URL → broker_url).
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's tasks.py.
app.autodiscover_tasks()


NO_BROKER = (
    "No broker: set REDIS_URL (or CELERY_BROKER_URL), e.g. redis://127.0.0.1:6379/0. "
    "Without one the jobs run in-process (make run) and a worker or beat has nothing to do."
)


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_without_broker(**kwargs: object) -> None:
    """A worker or beat on the in-memory broker would run, consume nothing and hide the
    mistake: stop at once instead (make worker, make beat, the systemd units)."""
    if app.conf.broker_url.startswith("memory://"):
        raise SystemExit(NO_BROKER)
