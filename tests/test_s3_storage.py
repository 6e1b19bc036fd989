"""S3-compatible storage (``CUSTOS_STORAGE=s3``) against a real S3 endpoint on loopback: moto's server
(``moto.server.ThreadedMotoServer``) on a free port, with a bucket made for the test.

* The settings: a Custos process started with ``CUSTOS_STORAGE=s3``, ``AWS_STORAGE_BUCKET_NAME`` and
  ``AWS_S3_ENDPOINT_URL`` stores a file through ``default_storage`` and it is in the bucket (read back
  with boto3, byte for byte); without a bucket name the process refuses to start.
* The PLM designs (django-storages' S3 backend, in-process through the test client): a direct multipart
  upload stores its bytes in the bucket under the design's key, the processing job reads them back
  (a temporary local copy) and measures the part, and ``download/`` streams the same bytes; on S3
  ``upload-url/`` answers a presigned POST straight into the bucket (size bounded by its policy), and
  ``finalize_upload/`` checks the object (size, content, digest) and files it under the design's name.
* Tenancy: another organization's OWNER can neither download the design nor see it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import override_settings

from custos.modules.plm.models import DesignAsset
from custos.modules.plm.tests import cad_fixtures as fx
from custos.modules.plm.tests.conftest import make_series, upload
from tests.conformance.live import free_port

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "custos-s3-test"
REGION = "us-east-1"
KEY_ID = "testing-key-id"  # moto accepts any credentials
SECRET = "testing-secret-key"  # moto's stand-in credentials


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(endpoint) -> Iterator[Any]:
    """A new, empty bucket on the moto server (a boto3 Bucket), removed afterwards."""
    s3 = boto3.resource(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET
    )
    made = s3.create_bucket(Bucket=BUCKET)
    yield made
    made.objects.all().delete()
    made.delete()


def keys(bucket: Any) -> list[str]:
    return sorted(item.key for item in bucket.objects.all())


def body_of(bucket: Any, key: str) -> bytes:
    return bytes(bucket.Object(key).get()["Body"].read())


@pytest.fixture
def s3_settings(endpoint, bucket) -> Iterator[None]:
    """The settings ``CUSTOS_STORAGE=s3`` produces (config/settings.py), pointed at the moto server."""
    with override_settings(
        STORAGE_BACKEND="s3",
        STORAGES={
            "default": {"BACKEND": "storages.backends.s3.S3Storage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME=REGION,
        AWS_ACCESS_KEY_ID=KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_DEFAULT_ACL=None,
        AWS_QUERYSTRING_AUTH=True,
    ):
        yield


def _custos_env(tmp_path: Path, endpoint: str, **extra: str) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "CUSTOS_TEST_RUN_HOME"}
    env = {key: value for key, value in os.environ.items() if key not in drop}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        CUSTOS_HOME=str(tmp_path / "home"),
        CUSTOS_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME=BUCKET,
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME=REGION,
        AWS_ACCESS_KEY_ID=KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET,
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


STORE = textwrap.dedent(
    """
    import django
    django.setup()
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    name = default_storage.save("checks/hello.txt", ContentFile(b"stored by custos in s3"))
    print(type(default_storage._wrapped).__module__, settings.STORAGE_BACKEND, name)
    with default_storage.open(name, "rb") as handle:
        print(handle.read().decode())
    """
)


def test_a_custos_process_with_custos_storage_s3_stores_into_the_bucket(tmp_path, endpoint, bucket):
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", STORE],
        cwd=ROOT,
        env=_custos_env(tmp_path, endpoint),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "storages.backends.s3 s3 checks/hello.txt",
        "stored by custos in s3",
    ]
    assert keys(bucket) == ["checks/hello.txt"]
    assert body_of(bucket, "checks/hello.txt") == b"stored by custos in s3"


def test_custos_storage_s3_without_a_bucket_refuses_to_start(tmp_path, endpoint, bucket):
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", STORE],
        cwd=ROOT,
        env=_custos_env(tmp_path, endpoint, AWS_STORAGE_BUCKET_NAME=""),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME is required when CUSTOS_STORAGE=s3" in result.stderr
    assert keys(bucket) == []


def sha(content: bytes) -> str:
    return f"sha256:{hashlib.sha256(content).hexdigest()}"


@pytest.fixture
def box_step(tmp_path) -> bytes:
    return fx.step_bytes(fx.box_shape(), tmp_path / "box.step")


@pytest.mark.django_db
def test_a_design_upload_lands_in_the_bucket_and_downloads_the_same_bytes(
    s3_settings, bucket, client_for, alice, bob, org_a, box_step, run_jobs_inline, django_capture_on_commit_callbacks
):
    series = make_series(org_a, alice, part_number="S3-001", name="Bucket bracket")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client_for(alice), series, "box.step", box_step, material="Ti-6Al-4V")
    assert response.status_code == 201, response.content
    design = DesignAsset.objects.get(pk=response.json()["id"])
    key = f"plm/designs/{org_a.pk}/{design.pk}/box.step"
    assert design.file.name == key
    assert body_of(bucket, key) == box_step
    # The processing job read the object back from S3 and measured the 100 x 50 x 25 mm box.
    assert (design.status, design.file_hash) == ("READY", sha(box_step))
    assert design.volume_cubic_mm == pytest.approx(125000.0)
    assert design.preview.name and body_of(bucket, design.preview.name)[:4] == b"glTF"

    download = client_for(alice).get(f"/api/designs/{design.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == box_step
    assert 'filename="box.step"' in download["Content-Disposition"]

    # Another organization's OWNER neither downloads nor sees it; the bucket is unchanged.
    before = keys(bucket)
    foreign = client_for(bob).get(f"/api/designs/{design.pk}/download/")
    assert foreign.status_code == 404
    assert keys(bucket) == before


@pytest.mark.django_db
def test_upload_url_is_a_presigned_post_straight_into_the_bucket(
    s3_settings,
    endpoint,
    bucket,
    client_for,
    alice,
    bob,
    org_a,
    box_step,
    run_jobs_inline,
    django_capture_on_commit_callbacks,
):
    series = make_series(org_a, alice, part_number="S3-002", name="Signed bracket")
    made = client_for(alice).post(
        "/api/designs/upload-url/",
        {"series": str(series.pk), "filename": "box.step", "file_size": len(box_step)},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    design = DesignAsset.objects.get(pk=body["upload_id"])
    incoming = f"plm/incoming/{org_a.pk}/{design.pk}/box.step"
    assert body["method"] == "POST"
    assert body["upload_url"].startswith(endpoint)
    assert body["fields"]["key"] == incoming
    assert keys(bucket) == []  # nothing is stored before the bytes come

    # The policy bounds the size (S3 refuses a bigger form; moto does not check it) ...
    policy = json.loads(base64.b64decode(body["fields"]["policy"]))
    assert ["content-length-range", 1, len(box_step)] in policy["conditions"]
    # ... and finalize checks it again: bigger than declared is 413, nothing filed, still UPLOADING.
    too_big = httpx.post(body["upload_url"], data=body["fields"], files={"file": ("box.step", box_step + b" ")})
    assert too_big.status_code == 204
    refused = client_for(alice).post(f"/api/designs/{design.pk}/finalize_upload/", {}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (413, "FILE_TOO_LARGE")
    assert (DesignAsset.objects.get(pk=design.pk).status, DesignAsset.objects.get(pk=design.pk).file.name) == (
        "UPLOADING",
        "",
    )
    assert keys(bucket) == [incoming]

    sent = httpx.post(body["upload_url"], data=body["fields"], files={"file": ("box.step", box_step)})
    assert sent.status_code in (200, 204), sent.text
    assert keys(bucket) == [incoming]

    # Bad input: a digest that is not the object's is refused; the design stays UPLOADING.
    wrong = client_for(alice).post(
        f"/api/designs/{design.pk}/finalize_upload/", {"file_hash": "sha256:" + "0" * 64}, format="json"
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "FILE_HASH_MISMATCH")
    assert DesignAsset.objects.get(pk=design.pk).status == "UPLOADING"
    # Another organization's OWNER cannot finalize it.
    foreign = client_for(bob).post(f"/api/designs/{design.pk}/finalize_upload/", {}, format="json")
    assert foreign.status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        done = client_for(alice).post(
            f"/api/designs/{design.pk}/finalize_upload/", {"file_hash": sha(box_step)}, format="json"
        )
    assert done.status_code in (200, 202), done.content
    design.refresh_from_db()
    assert (design.status, design.file_hash, design.file_size_bytes) == ("READY", sha(box_step), len(box_step))
    assert design.volume_cubic_mm == pytest.approx(125000.0)
    assert incoming not in keys(bucket)  # filed under its design's name, the incoming object removed
    assert body_of(bucket, design.file.name) == box_step
