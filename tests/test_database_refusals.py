"""A value the database refuses (PostgreSQL: a UTC offset beyond ±15:59) is the request's fault: 400 in the
route's envelope, never a 500. Found by the schemathesis run on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = "0416-07-12T21:58:50-23:33"  # Python accepts a -23:33 offset; PostgreSQL does not


def test_an_offset_the_database_refuses_is_a_400(alice, client_for):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores any offset Python accepts")
    response = client_for(alice).get("/api/analysis-results/", {"date_from": OUT_OF_RANGE})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "A value is outside the range the database accepts."},
    )
