"""``orgs.0003`` copies each user's global clearance onto each of their memberships before
``identity.0004`` removes it from the account."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orgs", "0002_storage_used"), ("identity", "0003_purge_schedule")]
AFTER = [("orgs", "0003_invitations_attestation"), ("identity", "0004_clearance_moves_to_memberships")]


@pytest.fixture
def migrated_back_afterwards():
    """Going back to BEFORE also unapplies every migration that depends on it (other apps' tables): the
    database is brought forward to every app's latest migration again for the tests that follow."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_global_values_are_copied_to_every_membership(migrated_back_afterwards):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("identity", "User")
    Organization = apps.get_model("orgs", "Organization")
    Membership = apps.get_model("orgs", "Membership")
    north = Organization.objects.create(name="North", slug="north")
    south = Organization.objects.create(name="South", slug="south")
    cleared = User.objects.create(
        email="c@example.org", username="c", is_us_person=True, security_clearance_level="SECRET"
    )
    plain = User.objects.create(email="p@example.org", username="p")
    for organization in (north, south):
        Membership.objects.create(organization=organization, user=cleared, role="MEMBER")
    Membership.objects.create(organization=north, user=plain, role="MEMBER")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Membership = apps.get_model("orgs", "Membership")
    rows = sorted(
        Membership.objects.values_list("user__email", "organization__slug", "is_us_person", "security_clearance_level")
    )
    assert rows == [
        ("c@example.org", "north", True, "SECRET"),
        ("c@example.org", "south", True, "SECRET"),
        ("p@example.org", "north", False, "UNCLASSIFIED"),
    ]
    copied = Membership.objects.filter(user__email="c@example.org")
    assert all(m.attested_at is not None and m.attested_by_id is None for m in copied)
    User = apps.get_model("identity", "User")
    assert not any(f.name in ("is_us_person", "security_clearance_level") for f in User._meta.get_fields())
