"""The sqal renderer's key conversion gives the bytes the camel-case library gives."""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.utils.translation import gettext_lazy
from djangorestframework_camel_case.util import camelize
from hypothesis import given, settings
from hypothesis import strategies as st

from custos.api.renderers import camelize_keys, dumps

KEYS = st.sampled_from(
    [
        "a",
        "device_id",
        "sample_id",
        "fusion_score",
        "x_1",
        "_private",
        "trailing_",
        "tof_metrics",
        "already",
        "A_B",
        "é_b",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.datetimes(timezones=st.just(datetime.UTC)),
    st.uuids(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
)
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(KEYS, inner, max_size=5),
    ),
    max_leaves=30,
)
IGNORES = st.sampled_from([(), ("tof_metrics",), ("deviceId", "defects"), ("a", "x_1")])


@settings(max_examples=400, deadline=None)
@given(DATA, IGNORES)
def test_same_bytes_as_the_library(data, ignore):
    assert dumps(camelize_keys(data, ignore)) == dumps(camelize(data, ignore_fields=ignore))


def test_the_shapes_of_a_sqal_page():
    page = {
        "items": [
            {
                "sample_id": "S-1",
                "fusion_score": 0.5,
                "defects": [{"defect_type": "bruise", "bounding_box": [1, 2]}],
                "channels": {"f1_415nm": 10},
                "when": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
                "id": uuid.UUID(int=7),
                "price": decimal.Decimal("1.50"),
                gettext_lazy("label_text"): gettext_lazy("lazy_value"),
                "tags": {"x_y"},
            }
        ],
        "pagination": {"total_items": 1, "has_next": False},
    }
    ignore = ("defects", "channels")
    assert camelize_keys(page, ignore) == {
        "items": [
            {
                "sampleId": "S-1",
                "fusionScore": 0.5,
                "defects": [{"defect_type": "bruise", "bounding_box": [1, 2]}],
                "channels": {"f1_415nm": 10},
                "when": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
                "id": uuid.UUID(int=7),
                "price": decimal.Decimal("1.50"),
                "labelText": "lazy_value",
                "tags": ["x_y"],
            }
        ],
        "pagination": {"totalItems": 1, "hasNext": False},
    }
    assert dumps(camelize_keys(page, ignore)) == dumps(camelize(page, ignore_fields=ignore))


def test_integers_beyond_64_bits_are_written_as_json_numbers_not_refused():
    data = {"big": 10**300, "huge": [10**400], "small": -(2**63), "max": 2**64 - 1, "flag": True}
    assert dumps(data) == (
        b'{"big":1e+300,"huge":["1' + b"0" * 400 + b'"],"small":-9223372036854775808,'
        b'"max":18446744073709551615,"flag":true}'
    )
