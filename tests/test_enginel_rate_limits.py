"""The enginel document's limits on every enginel route: 1000 requests an hour and 100 a minute per user
or API key, 50 uploads an hour, ``X-RateLimit-*`` on every answer and 429 with ``retry_after``."""

from __future__ import annotations

import pytest

from custos.identity.tests.factories import api_key, api_key_client
from custos.ops import throttles

pytestmark = pytest.mark.django_db


def test_every_enginel_answer_carries_the_tightest_limit(alice, client_for):
    response = client_for(alice).get("/api/series/")
    assert response.status_code == 200
    # the minute's burst limit (100) is tighter than the hour's (1000)
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("100", "99")
    assert int(response["X-RateLimit-Reset"]) > 0
    sessions = client_for(alice).get("/api/auth/api-keys/")
    assert (sessions.status_code, sessions["X-RateLimit-Remaining"]) == (200, "98")


def test_past_the_burst_limit_is_429_with_retry_after(alice, client_for, monkeypatch):
    monkeypatch.setattr(throttles.EnginelBurstThrottle, "limit", lambda self: 3)
    client = client_for(alice)
    assert [client.get("/api/series/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/series/")
    body = refused.json()
    assert (refused.status_code, body["code"], refused["X-RateLimit-Remaining"]) == (429, "RATE_LIMIT_EXCEEDED", "0")
    assert 1 <= body["retry_after"] <= 60 and refused["Retry-After"] == str(body["retry_after"])


def test_an_api_key_is_counted_apart_from_its_owners_logins(alice, client_for, monkeypatch):
    monkeypatch.setattr(throttles.EnginelBurstThrottle, "limit", lambda self: 2)
    _key, raw = api_key(alice)
    login = client_for(alice)
    assert [login.get("/api/series/").status_code for _ in range(3)] == [200, 200, 429]
    assert api_key_client(raw).get("/api/series/").status_code == 200


def test_another_dialect_is_not_counted(alice, client_for, monkeypatch):
    monkeypatch.setattr(throttles.EnginelBurstThrottle, "limit", lambda self: 1)
    client = client_for(alice)
    assert [client.get("/api/pipelines/").status_code for _ in range(3)] == [200, 200, 200]
    assert "X-RateLimit-Limit" not in client.get("/api/pipelines/")


def test_uploads_have_their_own_hourly_limit(alice, org_a, client_for, monkeypatch):
    from custos.modules.plm.models import DesignAsset
    from custos.modules.plm.tests.conftest import make_series

    monkeypatch.setattr(throttles.EnginelUploadThrottle, "limit", lambda self: 1)
    series = make_series(org_a, alice)
    client = client_for(alice)
    body = {"series": str(series.pk), "filename": "bracket.step"}
    assert client.post("/api/designs/upload-url/", body, format="json").status_code == 201
    refused = client.post("/api/designs/upload-url/", {**body, "filename": "second.step"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (429, "RATE_LIMIT_EXCEEDED")
    assert DesignAsset.objects.filter(series=series).count() == 1
    assert client.get("/api/designs/").status_code == 200  # reading is not an upload
