"""Where uploaded files live: a small interface with two stores, a local directory
(the default) and an S3-compatible object store (MinIO, Ceph RGW, AWS S3) for a
cluster, chosen by configuration (``UPLOAD_STORE``).

A file is stored under a key the service makes (a random hex id), never under the
name the client sent, so no upload can choose its own path. Its type is decided
from its first bytes, never from its name or the client's Content-Type.
"""
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Optional, Protocol

from shared.contracts.errors import Unavailable

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# The formats an applicant may send: scans (PDF) and photos (JPEG, PNG).
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
KEY = re.compile(r"^[0-9a-f]{32}$")


def sniff(data: bytes) -> Optional[str]:
    """The content type the bytes say they are (PDF, JPEG or PNG), or None."""
    for signature, content_type in SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...


class LocalDirectoryStore:
    """Files under one directory, written whole (temporary file, then rename)."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key):
        if not KEY.match(key):  # only keys this service made
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def put(self, key, data):
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key):
        return self._path(key).read_bytes()


def store_unavailable():
    return Unavailable("Penyimpanan berkas sedang tidak tersedia; coba lagi sebentar lagi.",
                       "The file store is unavailable; try again shortly.", {"storage": "unavailable"})


class S3Store:
    """Objects in one bucket of an S3-compatible store, under ``prefix`` + the key.

    The client is boto3's (path-style addressing, so MinIO and other self-hosted
    endpoints work without wildcard DNS). A store that cannot be reached answers
    ``Unavailable`` (503), never a half-written object: S3 writes an object whole."""

    def __init__(self, bucket, endpoint_url=None, region="us-east-1", access_key_id=None, secret_access_key=None,
                 prefix="uploads/", create_bucket=False, timeout_s=5.0):
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region, aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(s3={"addressing_style": "path"}, connect_timeout=timeout_s, read_timeout=timeout_s,
                          retries={"max_attempts": 2, "mode": "standard"}))
        if create_bucket:
            self.ensure_bucket()

    def ensure_bucket(self):
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            self.client.create_bucket(Bucket=self.bucket)
            log.info("created the uploads bucket %s", self.bucket)

    def _object(self, key):
        if not KEY.match(key):  # only keys this service made
            raise ValueError("bad storage key")
        return f"{self.prefix}{key[:2]}/{key}"

    def put(self, key, data):
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._object(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        except (BotoCoreError, ClientError) as exc:
            log.warning("upload store: put failed: %s", type(exc).__name__)
            raise store_unavailable() from None

    def get(self, key):
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._object(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            log.warning("upload store: get failed: %s", type(exc).__name__)
            raise store_unavailable() from None
        except BotoCoreError as exc:
            log.warning("upload store: get failed: %s", type(exc).__name__)
            raise store_unavailable() from None


STORES = ("local", "s3")


def store_from(config: dict, default_root):
    """The store ``config`` names: ``UPLOAD_STORE`` local (``UPLOAD_DIR``, default
    ``default_root``) or s3 (``S3_BUCKET`` required; ``S3_ENDPOINT_URL`` for a
    self-hosted store, ``S3_REGION``, ``S3_ACCESS_KEY_ID``/``S3_SECRET_ACCESS_KEY`` or
    boto3's usual credential chain, ``S3_PREFIX``, ``S3_CREATE_BUCKET``)."""
    kind = (config.get("UPLOAD_STORE") or "local").strip().lower()
    if kind not in STORES:
        raise ValueError(f"UPLOAD_STORE must be one of {', '.join(STORES)}, not {kind!r}")
    if kind == "local":
        return LocalDirectoryStore(config.get("UPLOAD_DIR") or default_root)
    bucket = config.get("S3_BUCKET")
    if not bucket:
        raise ValueError("UPLOAD_STORE=s3 needs S3_BUCKET")
    return S3Store(bucket, endpoint_url=config.get("S3_ENDPOINT_URL") or None,
                   region=config.get("S3_REGION") or "us-east-1",
                   access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
                   secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
                   prefix=config.get("S3_PREFIX") if config.get("S3_PREFIX") is not None else "uploads/",
                   create_bucket=str(config.get("S3_CREATE_BUCKET") or "false").lower() in ("1", "true", "yes"))
