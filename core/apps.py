from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Locaux Communs"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core import checks  # noqa: F401 (registers the deployment checks)
        from core.collation import sqlite_collation_connect
        from core.logging import job_logging_connect
        from core.middleware import session_mark_renewed
        from core.storage import files_delete_with_rows_connect
        from core.timestamps import timestamps_connect

        job_logging_connect()
        sqlite_collation_connect()
        timestamps_connect()

        user_logged_in.connect(session_mark_renewed, dispatch_uid="core.session_mark_renewed")
        # Deleting a photo or a document (service, admin, cascade) deletes its stored file.
        files_delete_with_rows_connect()
