"""What the domain benchmarks share: Django set up on a throwaway data directory, and an organization
with an OWNER whose token a test client can send."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any


def setup_django(home: Path) -> None:
    """Django on the embedded defaults under ``home`` (or ``DATABASE_URL`` when set), migrated."""
    os.environ.setdefault("CUSTOS_HOME", str(home))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("CUSTOS_EMBEDDED_WORKER", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def bench_owner() -> tuple[Any, Any, Any]:
    """A new organization, its OWNER, and an API client sending the OWNER's access token."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from custos.identity.models import User
    from custos.orgs.models import Membership, Organization

    tag = uuid.uuid4().hex[:8]
    org = Organization.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
    user = User.objects.create_user(email=f"bench-{tag}@example.com", username=f"bench-{tag}", password="x" * 20)
    Membership.objects.create(organization=org, user=user, role="OWNER")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return org, user, client


def logged_in_owner(email: str, username: str, password: str) -> tuple[Any, Any, str]:
    """A new account logged in through ``POST /api/auth/login`` (the real login path), with the
    platform's hourly request limit lifted (a bench loop would otherwise measure 429s): the account, the
    Django test client and its access token."""
    from django.test import Client

    from custos.identity.models import User
    from custos.ops.models import SystemSettings

    record = SystemSettings.load()
    record.api_rate_limit = 10**9
    record.save(update_fields=["api_rate_limit"])
    owner = User.objects.create_user(email=email, username=username, password=password)
    client = Client()
    login = client.post("/api/auth/login", {"username": email, "password": password}, content_type="application/json")
    if login.status_code != 200:
        raise SystemExit(f"login failed: {login.status_code} {login.content[:300]!r}")
    return owner, client, login.json()["access_token"]


def bench_line(figure: str, value: float, unit: str = "", baseline: float | None = None) -> str:
    """One figure in the runner's convention (``python -m bench``, docs/verification.md):
    ``BENCH <figure> <value> [<unit>] [baseline=<value>]``, the baseline measured in the same run."""
    parts = ["BENCH", figure.replace(" ", "_"), f"{value:.6g}"]
    if unit:
        parts.append(unit.replace(" ", "_"))
    if baseline is not None:
        parts.append(f"baseline={baseline:.6g}")
    return " ".join(parts)


def machine_load() -> str:
    """The load averages, printed beside timings: on a shared machine they say what the figures met."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def station_measurements() -> dict[str, Any]:
    """The ``vl53l8ch`` and ``as7341`` blocks of a SQAL station frame: a flat surface about 50 mm high and a
    fresh product's spectrum (what the stream bench and the fault script send)."""
    return {
        "vl53l8ch": {
            "distance_matrix": [[50 + ((r + c) % 3) for c in range(8)] for r in range(8)],
            "reflectance_matrix": [[40] * 8 for _ in range(8)],
            "amplitude_matrix": [[900] * 8 for _ in range(8)],
            "reference_distance_mm": 100,
        },
        "as7341": {
            "channels": {
                "F1_415nm": 2400,
                "F2_445nm": 3200,
                "F3_480nm": 4000,
                "F4_515nm": 5200,
                "F5_555nm": 6000,
                "F6_590nm": 6400,
                "F7_630nm": 6800,
                "F8_680nm": 6000,
                "Clear": 30000,
                "NIR": 5000,
            },
        },
    }
