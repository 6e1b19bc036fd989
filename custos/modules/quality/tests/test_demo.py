"""``custos demo`` part ``sqal-samples``: two stations with tokens, 60 samples graded by the server across
every grade, idempotent."""

from __future__ import annotations

from collections import Counter

import pytest

from custos.alerts.models import Alert
from custos.devices.models import Device, DeviceCredential
from custos.devices.services import device_authenticate
from custos.kernel.demo import demo_loaders
from custos.modules.quality.analysis import analyse_spectral, analyse_tof, fuse
from custos.modules.quality.demo import RECIPES, channels, distance_matrix, load_samples
from custos.modules.quality.models import QualitySample

pytestmark = pytest.mark.django_db


@pytest.fixture
def helios():
    from custos.orgs.tests.factories import organization

    return organization(name="Helios Foods", slug="helios-foods")


def test_the_recipes_give_the_documented_grades():
    import numpy as np

    grades = []
    for height, bump, red in RECIPES:
        tof = analyse_tof(np.array(distance_matrix(height, bump)), reference_mm=100.0, zone_area_mm2=100.0)
        grades.append(fuse(tof.score, analyse_spectral(channels(red)).score)[1])
    assert grades == ["A+", "A+", "A+", "A", "A", "A", "B", "B", "C", "REJECT"]


def test_two_stations_sixty_graded_samples_idempotent(helios):
    first = load_samples()
    assert first.startswith("2 stations in helios-foods, 60 new samples (A+ 18, A 18, B 12, C 6, REJECT 6)")
    tokens = dict(part.split("=", 1) for part in first.split("(shown once): ")[1].split())
    assert set(tokens) == {"SQAL_001", "SQAL_002"}
    for device_id, token in tokens.items():
        device = device_authenticate(raw=token)
        assert (device.device_id, device.organization_id, device.device_type) == (device_id, helios.pk, "sqal_station")

    samples = QualitySample.objects.filter(organization=helios)
    assert samples.count() == 60
    assert Counter(samples.values_list("grade", flat=True)) == {"A+": 18, "A": 18, "B": 12, "C": 6, "REJECT": 6}
    assert Counter(samples.values_list("device__device_id", flat=True)) == {"SQAL_001": 30, "SQAL_002": 30}
    perfect = samples.get(sample_id="SQAL_001-DEMO-000")
    assert (perfect.fusion_score, perfect.avg_height_mm, perfect.certification_hash != "") == (1.0, 50.0, True)
    # the alert rules, as on the socket: per 10 frames, C and REJECT (grade), heights 56, 59, 62 mm with
    # a B or better grade and no colour shift (height_deviation), and the two 0.4 red shifts above C
    # (colour difference over 8, listed before the height rule of equal severity)
    alerts = Alert.objects.filter(organization=helios, source="quality")
    assert Counter(alerts.values_list("alert_type", flat=True)) == {
        "grade": 12,
        "height_deviation": 18,
        "color_delta_e": 12,
    }

    again = load_samples()
    assert again == "2 stations in helios-foods, 0 new samples (A+ 18, A 18, B 12, C 6, REJECT 6)"
    assert QualitySample.objects.count() == 60
    assert DeviceCredential.objects.filter(device__organization=helios).count() == 2
    assert Device.objects.filter(organization=helios).count() == 2
    assert [(loader.name, loader.order) for loader in demo_loaders() if loader.name == "sqal-samples"] == [
        ("sqal-samples", 300)
    ]
