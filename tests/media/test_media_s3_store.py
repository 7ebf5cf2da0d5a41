"""The S3-compatible store against moto's fake S3, and the app serving from it."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from media_helpers import PNG, media_of, opus_note
from moto import mock_aws

from clickpro.models import MediaStatus
from clickpro.services.media import retention
from clickpro.services.media.store import (
    FilesystemStore,
    S3Store,
    build_store,
    check_key,
    media_store,
    parse_s3_url,
)

KEY = "7/2026/12/" + "a" * 64


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="clickpro-media")
        yield client


def test_s3_store_put_get_delete(s3):
    store = S3Store("clickpro-media", "prod/media/", client=s3)
    assert store.get(KEY) is None and not store.exists(KEY)
    store.put(KEY, b"bytes", "image/png")
    head = s3.head_object(Bucket="clickpro-media", Key=f"prod/media/{KEY}")
    assert head["ContentType"] == "image/png"
    assert store.exists(KEY) and store.get(KEY) == b"bytes"
    assert store.local_path(KEY) is None
    store.delete(KEY)
    assert store.get(KEY) is None


def test_keys_are_checked_before_any_path_or_object(tmp_path):
    for bad in ("../etc/passwd", "7/2026/12/../../x", "7/2026/12/" + "g" * 64, ""):
        with pytest.raises(ValueError):
            check_key(bad)
        with pytest.raises(ValueError):
            FilesystemStore(tmp_path).get(bad)
    assert check_key(KEY) == KEY


def test_media_store_setting_selects_the_store(app, s3):
    assert parse_s3_url("s3://bucket/a/b/") == ("bucket", "a/b")
    with pytest.raises(ValueError):
        parse_s3_url("https://bucket/a")
    app.config["MEDIA_STORE"] = "s3://clickpro-media/pfx"
    store = build_store(app)
    assert isinstance(store, S3Store) and (store.bucket, store.prefix) == ("clickpro-media", "pfx")
    app.config["MEDIA_STORE"] = None
    assert isinstance(build_store(app), FilesystemStore)


def test_inbound_media_kept_in_s3_and_served(shop, inbound, db, login_as, app, s3):
    app.config["MEDIA_STORE"] = "s3://clickpro-media/media"
    app.extensions.pop("clickpro.media_store", None)
    assert isinstance(media_store(), S3Store)
    message = inbound("image", PNG, "image/png")
    row = media_of(db, message)
    assert row.status == MediaStatus.STORED
    stored = s3.get_object(Bucket="clickpro-media", Key=f"media/{row.storage_key}")
    assert stored["Body"].read() == PNG
    http = login_as(shop.a_user, shop.a)
    response = http.get(f"/media/{message.id}")
    assert (response.status_code, response.data, response.mimetype) == (200, PNG, "image/png")

    note = inbound("audio", opus_note("oi"), "audio/ogg", voice=True)
    ranged = http.get(f"/media/{note.id}", headers={"Range": "bytes=4-"})
    assert ranged.status_code == 206 and ranged.data == opus_note("oi")[4:]

    assert retention.expire_due(now=row.expires_at + timedelta(minutes=1)) == 2
    assert s3.list_objects_v2(Bucket="clickpro-media", Prefix="media/").get("KeyCount") == 0
