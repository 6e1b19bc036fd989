"""Serializer helpers shared by the dialects."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rest_framework.serializers import Serializer

    _SerializerBase = Serializer
else:
    _SerializerBase = object


class FieldSelectionMixin(_SerializerBase):  # mixed into a Serializer (the type checker's view of it)
    """Trims the output to ``?fields=a,b`` when the view's dialect offers field selection (enginel)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request") if hasattr(self, "context") else None
        view = self.context.get("view") if hasattr(self, "context") else None
        if request is None or view is None or not getattr(view, "field_selection", False):
            return
        raw = request.query_params.get("fields", "") if hasattr(request, "query_params") else ""
        wanted = {name.strip() for name in raw.split(",") if name.strip()}
        if not wanted or (getattr(self, "parent", None) is not None and not isinstance(self.parent, list)):
            return
        for name in list(self.fields):
            if name not in wanted:
                self.fields.pop(name)


# --- Lists without per-field DRF overhead ------------------------------------------------------------


def _identity(value: Any) -> Any:
    return value


def _fast_representation(field: Any) -> Any:
    """A callable equal to ``field.to_representation`` for a non-None value, cheaper where DRF's is trivial."""
    from rest_framework import fields as drf

    method = type(field).to_representation
    if method is drf.CharField.to_representation:
        return str
    if method is drf.IntegerField.to_representation:
        return int
    if method is drf.UUIDField.to_representation and getattr(field, "uuid_format", "") == "hex_verbose":
        return str
    if method is drf.ReadOnlyField.to_representation:
        return _identity
    if method is drf.DateTimeField.to_representation:
        return _iso_datetime(field)
    return field.to_representation


def _iso_datetime(field: Any) -> Any:
    """``DateTimeField.to_representation`` for the ISO 8601 format, the zone looked up once per page
    (DRF looks up the current zone, the format and the field's attributes again for every value)."""
    from rest_framework import ISO_8601
    from rest_framework.settings import api_settings

    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if output_format is None or output_format.lower() != ISO_8601 or hasattr(field, "timezone"):
        return field.to_representation
    zone = field.default_timezone()
    if zone is None:
        return field.to_representation

    def represent(value: Any) -> Any:
        if type(value) is datetime.datetime and value.utcoffset() is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return field.to_representation(value)  # naive values, strings, subclasses: DRF's own handling

    return represent


def _fast_getter(field: Any, model: Any) -> Any:
    """``operator.attrgetter`` where DRF's ``get_attribute`` can only read a concrete column of ``model``
    (never missing, never callable); else None (the field's own ``get_attribute`` is used)."""
    import operator

    from rest_framework import fields as drf
    from rest_framework.relations import RelatedField

    if model is None or isinstance(field, RelatedField) or len(field.source_attrs) != 1:
        return None
    if type(field).get_attribute is not drf.Field.get_attribute:
        return None
    name = field.source_attrs[0]
    try:
        column = model._meta.get_field(name)
    except Exception:  # not a model field: a property, a method, an annotation
        return None
    if not getattr(column, "concrete", False) or column.is_relation or column.attname != name:
        return None
    return operator.attrgetter(name)


def present_rows(child: Any, rows: Any) -> list[dict[str, Any]]:
    """``[child.to_representation(row) for row in rows]`` with the same output, minus DRF's per-field
    machinery: the readable fields are resolved once for the page, plain model columns are read with
    ``attrgetter`` and trivial conversions (``str``, ``int``) are called directly. Every other field goes
    through its own ``get_attribute``/``to_representation`` exactly as DRF does."""
    from rest_framework.fields import SkipField
    from rest_framework.relations import PKOnlyObject

    model = getattr(getattr(child, "Meta", None), "model", None)
    plan = []
    for field in child._readable_fields:
        plan.append((field.field_name, _fast_getter(field, model), field.get_attribute, _fast_representation(field)))
    out: list[dict[str, Any]] = []
    for row in rows:
        ret: dict[str, Any] = {}
        fast_row = model is not None and isinstance(row, model)
        for name, getter, get_attribute, represent in plan:
            if getter is not None and fast_row:
                attribute = getter(row)
            else:
                try:
                    attribute = get_attribute(row)
                except SkipField:
                    continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else represent(attribute)
        out.append(ret)
    return out


def make_fast_list(serializer: Any) -> Any:
    """Give a plain ``ListSerializer`` (``many=True`` for output) the row presenter above, when its child
    uses DRF's own ``Serializer.to_representation`` (a child that overrides it keeps its own)."""
    from rest_framework.serializers import ListSerializer, Serializer

    child: Any = getattr(serializer, "child", None)
    if type(serializer) is ListSerializer and type(child).to_representation is Serializer.to_representation:
        serializer.__class__ = FastListSerializer
    return serializer


def _fast_list_class() -> type:
    from django.db import models
    from rest_framework.serializers import ListSerializer

    class FastListSerializer(ListSerializer):
        def to_representation(self, data: Any) -> list[Any]:
            iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
            return present_rows(self.child, iterable)

    return FastListSerializer


FastListSerializer = _fast_list_class()
