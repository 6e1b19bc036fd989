"""The shared personas are what the other suites assume."""

import pytest

from custos.orgs.models import Membership


@pytest.mark.django_db
def test_personas_and_bearer_client(alice, bob, staff, client_for):
    assert Membership.objects.get(user=alice).role == "OWNER"
    assert Membership.objects.get(user=bob).organization.slug == "helios"
    assert not Membership.objects.filter(user=staff).exists()
    assert alice.check_password("correct-horse-battery-staple")
    response = client_for(alice).get("/api/health/")
    assert response.status_code == 200
