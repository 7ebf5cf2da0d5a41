"""Where media bytes live: a small interface, a filesystem store and an S3-compatible store.

Keys are ``<client_id>/<yyyy>/<mm>/<sha256>``: one client's files under one prefix (easy to
export or delete), content-addressed within a month (the same photo forwarded twice in a
month is kept once — deleting a key therefore checks that no other row still uses it).

``MEDIA_STORE=s3://bucket/prefix`` selects S3 (boto3, the ``s3`` extra, imported only
then; credentials from boto3's usual environment, ``MEDIA_S3_ENDPOINT_URL`` for MinIO,
R2 and the like); unset, files go under ``MEDIA_DIR`` (default ``instance/media``).
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import Flask, current_app

_KEY = re.compile(r"[0-9]{1,12}/[0-9]{4}/[0-9]{2}/[0-9a-f]{64}")
_EXTENSION_KEY = "clickpro.media_store"


def media_key(client_id: int, sha256: str, when: datetime) -> str:
    return f"{int(client_id)}/{when:%Y}/{when:%m}/{sha256}"


def check_key(key: str) -> str:
    """Keys are built by :func:`media_key` only; anything else never reaches a path."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not a media key: {key!r}")
    return key


class MediaStore(Protocol):
    def put(self, key: str, content: bytes, mime: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The bytes, or None when the key is not stored (deleted, lost)."""
        ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def local_path(self, key: str) -> Path | None:
        """A file path to stream from (Range requests), when the store is local."""
        ...


class FilesystemStore:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"FilesystemStore({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, content: bytes, mime: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, two writers never mix.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None


class S3Store:
    """An S3-compatible bucket through boto3 (``client`` is injectable for tests)."""

    def __init__(
        self, bucket: str, prefix: str = "", *, client: Any = None, endpoint_url: str | None = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3  # type: ignore[import-untyped]  # the optional 's3' extra: only deployments that use S3 need it

            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self._client = client

    def __repr__(self) -> str:
        return f"S3Store(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _object(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, content: bytes, mime: str) -> None:
        self._client.put_object(
            Bucket=self.bucket, Key=self._object(key), Body=content, ContentType=mime
        )

    def get(self, key: str) -> bytes | None:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self._object(key))
        except Exception as exc:
            if _not_found(exc):
                return None
            raise
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self._object(key))
        except Exception as exc:
            if _not_found(exc):
                return False
            raise
        return True

    def local_path(self, key: str) -> Path | None:
        return None


def _not_found(exc: Exception) -> bool:
    """botocore's ClientError for a missing key (NoSuchKey / 404), without importing it."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → ("bucket", "some/prefix")."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("MEDIA_STORE must look like s3://bucket/prefix")
    return parts.netloc, parts.path.strip("/")


def build_store(app: Flask) -> MediaStore:
    url = app.config["MEDIA_STORE"]
    if url:
        bucket, prefix = parse_s3_url(url)
        return S3Store(bucket, prefix, endpoint_url=app.config["MEDIA_S3_ENDPOINT_URL"])
    return FilesystemStore(app.config["MEDIA_DIR"] or Path(app.instance_path) / "media")


def media_store(app: Flask | None = None) -> MediaStore:
    """The app's store, built once per app (tests may set ``app.extensions`` to a fake)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store = app.extensions.get(_EXTENSION_KEY)
    if store is None:
        store = app.extensions[_EXTENSION_KEY] = build_store(app)
    return store
