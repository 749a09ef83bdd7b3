"""Settings of the bare DRF baseline (bench/load/bare): production-like, nothing but DRF."""

import os

import dj_database_url

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only-secret-key-never-used-in-production-0")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.load.bare.urls"
WSGI_APPLICATION = "bench.load.bare.wsgi.application"
USE_TZ = True
TIME_ZONE = "Europe/Paris"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["django.contrib.postgres", "rest_framework", "bench.load.bare.rooms"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get(
            "BARE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/locaux_bench_load_bare"
        ),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
