"""Bounded counts of paged lists (``custos.api.pagination.bounded_count``).

On PostgreSQL an unfiltered list of a table the planner estimates at ``CUSTOS_EXACT_COUNT_LIMIT`` rows or
more reports the estimate (``pg_class.reltuples``); below it, and for every filtered list, the count is
exact. SQLite always counts exactly. The PostgreSQL tests run with ``DATABASE_URL=postgres://...``.

The estimate is told apart from the exact count by analyzing the table and then adding rows without
analyzing it again: the estimate stays, the exact count moves.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from custos.api.pagination import bounded_count, exact_count_limit, is_unfiltered
from custos.modules.pipelines.models import Pipeline
from tests.factories import rows

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="planner estimates are PostgreSQL's")

User = get_user_model()
USERS = "/api/users/"  # pipeline dialect: {count, next, previous, results}; staff see every account
ADMIN_USERS = "/api/admin/users/"  # sqal dialect: {items, pagination{totalItems, totalPages, ...}}


def make_users(count: int, prefix: str) -> None:
    User.objects.bulk_create(
        [User(email=f"{prefix}{index}@estimate.example", username=f"{prefix}{index}") for index in range(count)]
    )


def analyze_users() -> int:
    """ANALYZE the user table; its row estimate afterwards."""
    table = User._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
        return int(cursor.fetchone()[0])


def test_the_limit_defaults_to_100000_and_follows_the_setting(settings):
    assert exact_count_limit() == 100_000
    settings.CUSTOS_EXACT_COUNT_LIMIT = 25
    assert exact_count_limit() == 25


def test_a_negative_limit_is_refused_at_start(monkeypatch):
    from config.env import ConfigError, env_int

    monkeypatch.setenv("CUSTOS_EXACT_COUNT_LIMIT", "-1")
    with pytest.raises(ConfigError, match="CUSTOS_EXACT_COUNT_LIMIT=-1 is invalid: must be at least 0"):
        env_int("CUSTOS_EXACT_COUNT_LIMIT", 100_000, minimum=0)


def test_only_whole_tables_count_as_unfiltered():
    users = User.objects.all()
    assert is_unfiltered(users)
    assert is_unfiltered(users.order_by("email").select_related().prefetch_related("memberships"))
    assert not is_unfiltered(users.filter(is_active=True))
    assert not is_unfiltered(users.none())
    assert not is_unfiltered(users.distinct())
    assert not is_unfiltered(users[:10])
    assert not is_unfiltered(users.values("is_active").annotate(n=Count("pk")))
    assert not is_unfiltered(users.union(users))


def test_plain_lists_are_counted_by_length():
    assert bounded_count([1, 2, 3]) == 3
    assert bounded_count(()) == 0


def test_sqlite_counts_exactly_whatever_the_limit(settings, staff, client_for):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite behaviour")
    settings.CUSTOS_EXACT_COUNT_LIMIT = 1
    make_users(7, "lite")
    total = User.objects.count()
    assert bounded_count(User.objects.all()) == total == 8
    body = client_for(staff).get(USERS, {"page_size": 5}).json()
    assert (body["count"], len(body["results"])) == (total, 5)


# --- PostgreSQL ----------------------------------------------------------------------------------


@postgres_only
def test_a_whole_table_at_the_limit_reports_the_planners_estimate(settings, staff, client_for):
    make_users(39, "big")  # 40 with staff
    estimate = analyze_users()
    assert estimate == 40
    make_users(5, "late")  # not analyzed: the estimate stays at 40
    assert User.objects.count() == 45
    settings.CUSTOS_EXACT_COUNT_LIMIT = 10
    with CaptureQueriesContext(connection) as queries:
        assert bounded_count(User.objects.all()) == estimate
    assert len(queries) == 1 and "reltuples" in queries[0]["sql"]
    client = client_for(staff)
    body = client.get(USERS, {"page_size": 20}).json()
    assert (sorted(body), body["count"], len(body["results"])) == (["count", "next", "previous", "results"], 40, 20)
    admin = client.get(ADMIN_USERS, {"limit": 20, "skip": 20}).json()
    assert admin["pagination"] == {
        "totalItems": 40,
        "totalPages": 2,
        "currentPage": 2,
        "hasPrevious": True,
        "hasNext": False,
    }
    assert len(admin["items"]) == 20


@postgres_only
def test_a_whole_table_below_the_limit_is_counted_exactly_in_one_statement(settings, staff, client_for):
    make_users(39, "small")
    assert analyze_users() == 40
    make_users(5, "late")
    settings.CUSTOS_EXACT_COUNT_LIMIT = 41  # the estimate (40) is below it
    with CaptureQueriesContext(connection) as queries:
        assert bounded_count(User.objects.all()) == 45
    assert len(queries) == 1  # the estimate and the exact count in one statement
    assert client_for(staff).get(USERS).json()["count"] == 45
    settings.CUSTOS_EXACT_COUNT_LIMIT = 0  # estimates turned off
    with CaptureQueriesContext(connection) as queries:
        assert bounded_count(User.objects.all()) == 45
    assert "reltuples" not in queries[0]["sql"]


@postgres_only
def test_filtered_lists_are_counted_exactly(settings, staff, client_for):
    make_users(39, "filtered")
    analyze_users()
    User.objects.filter(email__startswith="filtered1").update(is_active=False)  # filtered1, filtered10..19
    make_users(5, "late")
    settings.CUSTOS_EXACT_COUNT_LIMIT = 1
    client = client_for(staff)
    assert client.get(USERS, {"is_active": "false"}).json()["count"] == 11
    assert client.get(ADMIN_USERS, {"is_active": "true"}).json()["pagination"]["totalItems"] == 45 - 11
    assert client.get(USERS, {"search": "late"}).json()["count"] == 5


@postgres_only
def test_an_organizations_list_counts_only_its_rows_exactly(settings, org_a, org_b, alice, bob, client_for):
    """Tenant lists are always narrowed to the caller's organizations: never the table's estimate."""
    rows(Pipeline, 3, organization=org_a, user=alice)
    rows(Pipeline, 30, organization=org_b, user=bob)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(Pipeline._meta.db_table)}")
    settings.CUSTOS_EXACT_COUNT_LIMIT = 1
    body = client_for(alice).get("/api/pipelines/").json()
    assert (body["count"], len(body["results"])) == (3, 3)
    assert client_for(bob).get("/api/pipelines/").json()["count"] == 30


@postgres_only
def test_a_page_past_the_estimate_is_still_invalid(settings, staff, client_for):
    make_users(39, "past")
    analyze_users()
    make_users(25, "late")  # 65 rows, estimated at 40
    settings.CUSTOS_EXACT_COUNT_LIMIT = 10
    response = client_for(staff).get(USERS, {"page_size": 20, "page": 3})
    assert (response.status_code, response.json()) == (404, {"detail": "Invalid page."})
    response = client_for(staff).get(USERS, {"page": "x" * 40})  # bad input stays a 400
    assert response.status_code == 400
