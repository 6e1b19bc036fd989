"""The cost of authenticating a request, in one process: the current one-query JWT path against the
former two-query path (the user row, then ``session_is_live``), measured in the same run.

Run from the repository root::

    .venv/bin/python bench/auth_cost.py                       # embedded default: SQLite in a temp dir
    .venv/bin/python bench/auth_cost.py --requests 5000
    .venv/bin/python bench/auth_cost.py --database-url postgres://postgres@127.0.0.1:5432/custos_auth_bench

``--database-url`` DROPS and re-creates the database it names: point it at a throwaway one.

For each path it times, in alternating rounds (so both meet the same machine load; the median round
is reported):

* ``authenticate()`` alone: ``CustosJWTAuthentication().authenticate`` on a request carrying a
  login's access token (its session claimed);
* a whole request: ``GET /api/auth/users/me/`` through Django's test client (middleware, view,
  serializer, rendering);

and prints microseconds per request and the SQL queries of one request. The former path is the
previous ``get_user`` (simplejwt's user lookup, the version check, then ``selectors.session_is_live``),
patched in for its rounds only. An API key request is timed too, for reference (its use is written at
most once a minute).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
# ``python bench/auth_cost.py`` puts bench/ first on sys.path, where bench/http.py shadows the stdlib.
sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != REPO_ROOT / "bench"]
sys.path.insert(0, str(REPO_ROOT))

PASSWORD = "bench-password-0123456789"
ME = "/api/auth/users/me/"


def fresh_database(url: str) -> None:
    """Drop and re-create the PostgreSQL database named by ``url``."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"--database-url must name a plain database, got {name!r}")
    admin = parts._replace(path="/postgres", scheme="postgresql").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def setup(home: Path, database_url: str | None) -> None:
    from bench.http import SCRUBBED_VARIABLES

    for name in SCRUBBED_VARIABLES:
        os.environ.pop(name, None)
    if database_url:
        fresh_database(database_url)
        os.environ["DATABASE_URL"] = database_url
    os.environ.update(
        CUSTOS_HOME=str(home),
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="WARNING",
        CUSTOS_EMBEDDED_WORKER="false",
        ENGINEL_RATE_LIMIT_PER_HOUR=str(10**9),
        ENGINEL_RATE_LIMIT_PER_MINUTE=str(10**9),
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def two_query_get_user(self: Any, validated_token: Any) -> Any:
    """The former ``CustosJWTAuthentication.get_user``: the user row, then the session's."""
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.exceptions import InvalidToken

    from custos.identity import selectors
    from custos.identity.tokens import SESSION_CLAIM, VERSION_CLAIM

    user: Any = JWTAuthentication.get_user(self, validated_token)
    if validated_token.get(VERSION_CLAIM, 0) != user.token_version:
        raise InvalidToken({"detail": "Token has been revoked.", "code": "token_not_valid"})
    session_id = validated_token.get(SESSION_CLAIM)
    if session_id and not selectors.session_is_live(session_id=session_id, user_id=user.pk):
        raise InvalidToken({"detail": "Session has been revoked.", "code": "token_not_valid"})
    return user


@contextmanager
def path(name: str) -> Iterator[None]:
    from custos.identity.authentication import CustosJWTAuthentication

    if name == "one query (HEAD)":
        yield
        return
    current = CustosJWTAuthentication.get_user
    CustosJWTAuthentication.get_user = two_query_get_user  # type: ignore[method-assign]
    try:
        yield
    finally:
        CustosJWTAuthentication.get_user = current  # type: ignore[method-assign]


PATHS = ("one query (HEAD)", "two queries (before)")


def per_call_us(call: Callable[[], Any], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count * 1e6


def queries_of(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def measure(requests: int, rounds: int) -> list[tuple[str, str, float, int]]:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from bench.common import logged_in_owner
    from custos.identity.authentication import CustosJWTAuthentication
    from custos.identity.tests.factories import api_key

    owner, client, token = logged_in_owner("owner@auth-bench.example", "auth-bench", PASSWORD)
    bearer: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    _, raw_key = api_key(owner)
    keyed: dict[str, Any] = {"HTTP_AUTHORIZATION": f"ApiKey {raw_key}"}
    request = Request(APIRequestFactory().get(ME, **bearer))
    authenticator = CustosJWTAuthentication()

    def authenticate() -> None:
        found = authenticator.authenticate(request)
        if found is None or found[0].pk != owner.pk:
            raise SystemExit("the access token did not authenticate its owner")

    def whole_request(headers: dict[str, Any]) -> Callable[[], None]:
        def call() -> None:
            response = client.get(ME, **headers)
            if response.status_code != 200:
                raise SystemExit(f"GET {ME}: {response.status_code} {response.content[:300]!r}")

        return call

    cases: list[tuple[str, Callable[[], None], int]] = [
        ("authenticate() alone", authenticate, requests * 10),
        (f"GET {ME}", whole_request(bearer), requests),
    ]
    timings: dict[tuple[str, str], list[float]] = {}
    counts: dict[tuple[str, str], int] = {}
    for label, call, count in cases:
        for name in PATHS:
            with path(name):
                call()  # warm
                counts[label, name] = queries_of(call)
        for _ in range(rounds):
            for name in PATHS:
                with path(name):
                    timings.setdefault((label, name), []).append(per_call_us(call, count // rounds))
    key_call = whole_request(keyed)
    key_call()
    results = [
        (label, name, statistics.median(timings[label, name]), counts[label, name])
        for label, _, _ in cases
        for name in PATHS
    ]
    key_us = statistics.median(per_call_us(key_call, requests // rounds) for _ in range(rounds))
    results.append((f"GET {ME}", "API key (for reference)", key_us, queries_of(key_call)))
    return results


def report(results: Sequence[tuple[str, str, float, int]], database: str, requests: int, rounds: int) -> str:
    lines = [
        f"Authentication cost in one process ({database}); {requests} requests ({requests * 10} authenticate() calls)"
        f" per path in {rounds} alternating rounds, median round",
        "",
        f"| {'measured':<28} | {'path':<24} | {'µs per request':>14} | {'SQL queries':>11} |",
        f"|{'-' * 30}|{'-' * 26}|{'-' * 16}|{'-' * 13}|",
    ]
    for label, name, micros, queries in results:
        lines.append(f"| {label:<28} | {name:<24} | {micros:>14,.1f} | {queries:>11} |")
    by_key = {(label, name): micros for label, name, micros, _ in results}
    lines.append("")
    for label in dict.fromkeys(label for label, _, _, _ in results):
        head, before = by_key.get((label, PATHS[0])), by_key.get((label, PATHS[1]))
        if head and before:
            lines.append(f"{label}: {before - head:,.1f} µs saved per request ({(1 - head / before) * 100:.0f}%)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000, help="whole requests per path (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--database-url", default="", help="a THROWAWAY PostgreSQL database (dropped, re-created)")
    options = parser.parse_args(argv)
    if options.requests < options.rounds or options.rounds < 1:
        parser.error("--requests must be at least --rounds, and --rounds at least 1")
    home = Path(tempfile.mkdtemp(prefix="custos-bench-auth-"))
    try:
        setup(home, options.database_url or None)
        from django.db import connection

        database = f"{connection.vendor} {connection.settings_dict['NAME']}"
        results = measure(options.requests, options.rounds)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(report(results, database, options.requests, options.rounds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
