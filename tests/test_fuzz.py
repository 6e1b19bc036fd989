"""Schemathesis over the OpenAPI schema of every operation, as an organization OWNER and anonymously.

Checks per response: no server error (5xx) and, where the status code is documented, a body that
conforms to the documented schema. Examples per operation: ``FUZZ_EXAMPLES`` (default 3), the same ones
on every run unless ``FUZZ_RANDOM=1``. Failures are collected over all operations and reported together
with the operation, the check and a reproduction, so one run shows everything that is wrong.
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]  # one failed request cannot poison the next

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# The same examples on every run (a CI run is reproducible); FUZZ_RANDOM=1 explores new ones.
DERANDOMIZE = os.environ.get("FUZZ_RANDOM", "") != "1"
# Operations a fuzzer must not drive with random bodies (each covered by its own tests): those that end
# the very credential it uses (logging out everywhere, changing the password), and Stripe checkout, which
# calls an outside service (its tests use a local stand-in of the Stripe API).
SKIPPED = (
    "/api/auth/sessions/revoke_all/",
    "/api/auth/users/set_password/",
    "/api/access/auth/logout/",
    "/api/access/billing/checkout/",
)


def _run(schema, headers: dict[str, str]) -> tuple[int, int, list[str]]:
    failures: list[str] = []
    operations = examples = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED:
            continue
        operations += 1
        calls: list[int] = []

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=DERANDOMIZE,
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            calls.append(1)  # noqa: B023 - the list of this operation, read right after the run
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        try:
            check()
        except BaseException as exc:  # a FailureGroup, or any crash of the call itself
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            failures.append(f"{operation.label}: {str(exc).strip()[:1500]}")
        examples += len(calls)
    return operations, examples, failures


@pytest.fixture
def schema(transactional_db, settings):
    """The schema, served by the WSGI application itself. The requests run inside the test's transaction,
    so Django must not close the connection at the end of each (as Django's test client also arranges)."""
    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    settings.STRIPE_WEBHOOK_SECRET = "whsec_fuzz"  # configured: bad signatures are 400, not 503
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_operation_answers_a_server_error_or_breaks_its_schema(schema, org_a, client_for):
    from rest_framework_simplejwt.tokens import RefreshToken

    from conftest import make_user

    owner = make_user("fuzz.owner@northwind.example", organization=org_a, role="OWNER")
    started = time.monotonic()
    as_owner = _run(schema, {"Authorization": f"Bearer {RefreshToken.for_user(owner).access_token}"})
    anonymous = _run(schema, {})
    print(
        f"\nschemathesis: {as_owner[0]} operations, {as_owner[1]} examples as OWNER, {anonymous[1]} anonymous, "
        f"{len(as_owner[2]) + len(anonymous[2])} failures, {time.monotonic() - started:.0f} s"
    )
    failures = [f"as OWNER: {f}" for f in as_owner[2]] + [f"anonymous: {f}" for f in anonymous[2]]
    assert not failures, "\n\n".join(failures)
