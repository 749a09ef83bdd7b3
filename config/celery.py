"""The Celery application: background jobs and the beat schedule (config/schedule.py).

Without a broker (no CELERY_BROKER_URL nor REDIS_URL: the SQLite demo, `make run`), tasks run
in-process at once (eager), so nothing needs Redis. With one, `make worker` and `make beat`
(or the systemd units of docs/deploy.md) run them against Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("locaux")
# Settings named CELERY_… in config/settings.py (CELERY_BROKER_URL → broker_url).
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every installed app's tasks.py.
app.autodiscover_tasks()
