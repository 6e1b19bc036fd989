import pytest
from rest_framework.test import APIClient

from conftest import PASSWORD


@pytest.fixture
def login():
    """``login(user, path=..., **extra)``: the token body of a real login through the shared view."""

    def do(user, *, path: str = "/api/auth/login/", client: APIClient | None = None, **extra):
        client = client or APIClient()
        response = client.post(path, {"email": user.email, "password": PASSWORD, **extra}, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    return do


@pytest.fixture
def bearer():
    def build(token: str, scheme: str = "Bearer", **extra) -> APIClient:
        client = APIClient(**extra)
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
        return client

    return build
