"""A real S3 HTTP server for the media tests: moto's server mode, on 127.0.0.1, for the session.

The application talks HTTP to it through django-storages and boto3, as it would to a bucket of
Scaleway, OVH, MinIO or Amazon. Each test creates its own buckets, over HTTP, with boto3.

moto enforces object ACLs on anonymous requests (an unsigned GET of a private object is 403),
but it checks neither the signature nor the expiry of a signed URL (verified: a forged signature
and a URL signed two hours ago for 60 s both get 200). Expiry is tested on what we sign.
"""

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.stack import service_missing

REGION = "fr-par"
ACCESS_KEY_ID = "AKIAMEDIATESTS3KEYID"
# Distinctive, so that a test can prove it never appears in a page or a log.
SECRET_ACCESS_KEY = "s3-tests-secret-7f3a9c1e-never-shown"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a real S3 server (moto) on 127.0.0.1, for the whole session."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        service_missing("moto[server] is not installed")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def bucket_create(client: Any, prefix: str) -> str:
    """Create a bucket of a fresh name over HTTP; return its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def closed_port_url() -> str:
    """An http:// URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class S3Media:
    """The buckets a test's settings point at, and a client to look into them."""

    endpoint: str
    client: Any
    bucket: str
    private_bucket: str

    @classmethod
    def fresh(cls, endpoint: str) -> "S3Media":
        """Two new buckets on the server at `endpoint`: the media and the private documents."""
        client = s3_client(endpoint)
        return cls(
            endpoint=endpoint,
            client=client,
            bucket=bucket_create(client, "media"),
            private_bucket=bucket_create(client, "documents"),
        )

    def keys(self, bucket: str) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=bucket)
        return [item["Key"] for item in listing.get("Contents", [])]

    def body(self, bucket: str, key: str) -> bytes:
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()


def s3_environment(
    monkeypatch: pytest.MonkeyPatch, *, endpoint: str, bucket: str, private_bucket: str
) -> None:
    """The variables an operator sets (docs/deploy.md), pointing at `endpoint`."""
    for name, value in {
        "S3_BUCKET": bucket,
        "S3_PRIVATE_BUCKET": private_bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "S3_ADDRESSING_STYLE": "path",
        "S3_CONNECT_TIMEOUT": "2",
    }.items():
        monkeypatch.setenv(name, value)
