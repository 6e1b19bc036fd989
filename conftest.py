"""Fixtures shared by every suite (settings: ``config/test_settings.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


# --- Personas in two organizations ------------------------------------------------------------
# Northwind (org_a): alice OWNER, adam ADMIN, amir MEMBER, vera VIEWER.  Helios (org_b): bob OWNER.
# staff: platform staff, member of no organization.  All passwords: PASSWORD.
# Built with the factories of tests/factories.py (custos/<app>/tests/factories.py).

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test personas (= custos.identity.tests.factories.PASSWORD)


def make_user(email: str, *, organization=None, role: str = "MEMBER", **extra):
    from custos.identity.tests.factories import user

    return user(email, password=PASSWORD, organization=organization, role=role, **extra)


@pytest.fixture
def org_a(db):
    from custos.orgs.tests.factories import organization

    return organization(name="Northwind Energy", slug="northwind", is_us_organization=True)


@pytest.fixture
def org_b(db):
    from custos.orgs.tests.factories import organization

    return organization(name="Helios Foods", slug="helios")


@pytest.fixture
def alice(org_a):
    return make_user("alice@northwind.example", organization=org_a, role="OWNER", first_name="Alice")


@pytest.fixture
def adam(org_a):
    return make_user("adam@northwind.example", organization=org_a, role="ADMIN", first_name="Adam")


@pytest.fixture
def amir(org_a):
    return make_user("amir@northwind.example", organization=org_a, role="MEMBER", first_name="Amir")


@pytest.fixture
def vera(org_a):
    return make_user("vera@northwind.example", organization=org_a, role="VIEWER", first_name="Vera")


@pytest.fixture
def bob(org_b):
    return make_user("bob@helios.example", organization=org_b, role="OWNER", first_name="Bob")


@pytest.fixture
def staff(db):
    return make_user("staff@custos.example", is_staff=True, first_name="Staff")


@pytest.fixture
def client_for():
    """``client_for(user)``: an API client sending that user's access token as ``Authorization: Bearer``.

    ``client_for(user, session=True)`` issues the token from a live ``AuthSession`` as a login does.
    """
    from custos.identity.tests.factories import api_client_for

    return api_client_for


@pytest.fixture
def run_jobs_inline():
    """Run Celery tasks in the calling process (eagerly, errors propagated) for the test's duration."""
    from config.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
