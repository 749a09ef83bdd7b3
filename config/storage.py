"""Where uploaded files live, from the environment: local disk by default, an S3-compatible
bucket when S3_BUCKET is set (docs/deploy.md §12, "Media on S3-compatible storage").

Two storages: "default" holds the public media (photos of the premises), "private" the
structures' documents and the inventory photos, which are served only through the
permission-checked views (core.storage.stored_file_response), never by a URL of the bucket.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env_int, env_str

DISK = "django.core.files.storage.FileSystemStorage"


def media_storages(*, private_root: Path) -> dict[str, dict[str, Any]]:
    """STORAGES["default"] and STORAGES["private"] from the environment."""
    bucket = env_str("S3_BUCKET")
    if not bucket:
        return {
            "default": {"BACKEND": DISK},
            "private": {"BACKEND": DISK, "OPTIONS": {"location": private_root, "base_url": None}},
        }
    from botocore.config import Config  # only where a bucket is used

    private_bucket = env_str("S3_PRIVATE_BUCKET") or bucket
    media_prefix = env_str("S3_MEDIA_PREFIX", "media").strip("/")
    private_prefix = env_str("S3_PRIVATE_PREFIX", "private").strip("/")
    if private_bucket == bucket and _nested(media_prefix, private_prefix):
        # A policy or a CDN that opens the media prefix to the public must never reach the
        # documents: in one bucket, the two prefixes must be side by side.
        raise ImproperlyConfigured(
            "S3_MEDIA_PREFIX and S3_PRIVATE_PREFIX must be distinct folders, neither inside the "
            "other, when the documents share the media bucket (or set S3_PRIVATE_BUCKET)."
        )
    common: dict[str, Any] = {
        "endpoint_url": env_str("S3_ENDPOINT_URL") or None,  # empty: Amazon S3
        "region_name": env_str("S3_REGION") or None,
        # Empty: boto3 finds them itself (AWS_ACCESS_KEY_ID…, an instance role).
        "access_key": env_str("S3_ACCESS_KEY_ID") or None,
        "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
        # Never replace an object that has the name of a new upload.
        "file_overwrite": False,
        # A download larger than this goes to a temporary file rather than memory.
        "max_memory_size": 5 * 1024 * 1024,
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": env_str("S3_ADDRESSING_STYLE") or "auto"},
            # A storage that does not answer must not hold a request until gunicorn kills it:
            # one retry, then the form says so.
            connect_timeout=env_int("S3_CONNECT_TIMEOUT", 3),
            read_timeout=env_int("S3_READ_TIMEOUT", 20),
            retries={"mode": "standard", "total_max_attempts": 2},
            # Checksums only where S3 requires them: several S3-compatible services refuse the
            # ones boto3 adds by default since 1.36.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    }
    media: dict[str, Any] = {
        **common,
        "bucket_name": bucket,
        "location": media_prefix,
        "default_acl": None,  # the bucket's own rule (private by default)
        "querystring_auth": True,
        "querystring_expire": env_int("S3_MEDIA_URL_EXPIRY", 6 * 60 * 60),
    }
    public_url = env_str("S3_PUBLIC_MEDIA_URL").rstrip("/")
    if public_url:
        # Served unsigned from there: a CDN, or the bucket with a public-read policy on the
        # media prefix. Objects are at <S3_PUBLIC_MEDIA_URL>/<S3_MEDIA_PREFIX>/<name>.
        scheme, separator, domain = public_url.partition("://")
        if not separator or scheme not in ("http", "https") or not domain:
            raise ImproperlyConfigured(
                f"S3_PUBLIC_MEDIA_URL must start with https:// (got {public_url!r})."
            )
        media.update(url_protocol=f"{scheme}:", custom_domain=domain, querystring_auth=False)
    private: dict[str, Any] = {
        **common,
        "bucket_name": private_bucket,
        "location": private_prefix,
        # Empty for an Amazon bucket whose ACLs are disabled (it refuses any ACL but its own;
        # its objects are private anyway).
        "default_acl": env_str("S3_PRIVATE_ACL", "private") or None,
    }
    return {
        "default": {"BACKEND": "core.s3.MediaS3Storage", "OPTIONS": media},
        "private": {"BACKEND": "core.s3.PrivateS3Storage", "OPTIONS": private},
    }


def _nested(first: str, second: str) -> bool:
    """Whether one folder is the other or holds it ("" holds everything)."""
    first_parts, second_parts = Path(first).parts, Path(second).parts
    shortest = min(len(first_parts), len(second_parts))
    return first_parts[:shortest] == second_parts[:shortest]
