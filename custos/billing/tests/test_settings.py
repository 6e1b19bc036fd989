"""Billing settings are validated at start-up: a malformed value stops the process with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_CODE = (
    "from django.conf import settings; "
    "print(settings.STRIPE_API_BASE, settings.STRIPE_WEBHOOK_TOLERANCE, settings.BILLING_CURRENCY, "
    "settings.BILLING_PRODUCTS['pro_monthly']['price'] or '-')"
)


def _settings(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("STRIPE_", "BILLING_"))}
    env.update({"CUSTOS_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings", **variables})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {_CODE}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_defaults_and_overrides(tmp_path):
    assert _settings(tmp_path).stdout.split() == ["https://api.stripe.com", "300", "usd", "-"]
    overridden = _settings(
        tmp_path,
        STRIPE_API_BASE="http://127.0.0.1:12111",
        BILLING_CURRENCY="eur",
        STRIPE_PRICE_PRO_MONTHLY="price_123",
    )
    assert overridden.stdout.split() == ["http://127.0.0.1:12111", "300", "eur", "price_123"]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("STRIPE_SECRET_KEY", "pk_test_public", "STRIPE_SECRET_KEY is invalid: expected a secret or restricted key"),
        ("STRIPE_WEBHOOK_SECRET", "secret", "STRIPE_WEBHOOK_SECRET is invalid: expected a signing secret"),
        ("STRIPE_API_BASE", "ftp://api.stripe.com", "STRIPE_API_BASE is invalid: scheme 'ftp'"),
        ("STRIPE_TIMEOUT", "0", "STRIPE_TIMEOUT=0 is invalid: must be at least 1"),
        ("BILLING_CURRENCY", "US Dollar", "BILLING_CURRENCY='US Dollar' is invalid"),
    ],
)
def test_malformed_billing_settings_fail_fast(tmp_path, variable, value, message):
    result = _settings(tmp_path, **{variable: value})

    assert result.returncode != 0
    assert f"ConfigError: {message}" in result.stderr
