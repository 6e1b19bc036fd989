"""The session's live server and API client (see ``live.py``)."""

from __future__ import annotations

import pytest

from tests.conformance.live import DEMO_PASSWORD, ROLES, STAFF_EMAIL, STAFF_PASSWORD, Api, LiveServer


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    home = tmp_path_factory.mktemp("conformance") / "home"
    server = LiveServer(home)
    server.prepare()
    server.start()
    try:
        api = Api(server.base)
        for role in ROLES:
            api.tokens[role] = api.login(f"{role.lower()}.northwind@example.com", DEMO_PASSWORD)
        api.tokens["OTHER_OWNER"] = api.login("owner.helios@example.com", DEMO_PASSWORD)
        api.tokens["staff"] = api.login(STAFF_EMAIL, STAFF_PASSWORD)
        yield api
    finally:
        server.stop()
