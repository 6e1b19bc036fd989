"""Serializer helpers shared by the dialects."""

from __future__ import annotations

import datetime
import functools
from typing import TYPE_CHECKING, Any, cast

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


class FieldsBuiltOnce:
    """Mixed into an output-only serializer with flat fields: DRF builds every field anew (deep copies,
    model introspection) for each instance, yet they depend on the class alone. They are built once per
    class and each instance binds shallow copies (binding sets only the copy's own attributes)."""

    def get_fields(self) -> dict[str, Any]:
        from rest_framework.serializers import BaseSerializer

        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            assert not any(isinstance(field, BaseSerializer) for field in built.values())
            cls._fields_built_once = built  # type: ignore[attr-defined]
        return {name: _shallow_copy(field) for name, field in built.items()}


def _shallow_copy(field: Any) -> Any:
    """``copy.copy(field)`` (a new object sharing the attribute values), without the pickle protocol."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


# --- Lists without per-field DRF overhead ------------------------------------------------------------
#
# A page of rows is presented from a plan of the serializer's readable fields, resolved once per page:
# per field, how to read it from the row and how to convert a value that is not None. A ModelSerializer
# builds its fields anew for every instance (the largest cost of a small page), so the fields themselves
# are built once per serializer class when nothing about them can depend on the request (below).


def _identity(value: Any) -> Any:
    return value


def _conversion(field: Any, column: Any = None) -> Any:
    """A callable equal to ``field.to_representation`` for a value that is not None where DRF's amounts to
    a builtin (or to the value itself); ``None`` when the field's own method must be used."""
    from rest_framework import fields as drf

    method = type(field).to_representation
    if method is drf.CharField.to_representation:
        return str
    if method is drf.IntegerField.to_representation:
        return int
    if method is drf.BigIntegerField.to_representation:
        from rest_framework.settings import api_settings

        return str if getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING) else int
    if method is drf.FloatField.to_representation:
        return float
    if method is drf.UUIDField.to_representation:
        return str if field.uuid_format == "hex_verbose" else None
    if method is drf.ReadOnlyField.to_representation:
        return _identity
    if method is drf.JSONField.to_representation:
        return None if field.binary else _identity
    if method is drf.BooleanField.to_representation:
        # A stored non-null boolean is already True/False (DRF maps strings like "false" too).
        is_bool_column = column is not None and column.get_internal_type() == "BooleanField" and not column.null
        return _identity if is_bool_column else None
    if method is drf.DateTimeField.to_representation:
        return _iso_datetime(field)
    return None


def _iso_datetime(field: Any) -> Any:
    """``DateTimeField.to_representation`` for the ISO 8601 format, the zone looked up once per page
    (DRF looks up the current zone, the format and the field's attributes again for every value)."""
    from rest_framework import ISO_8601
    from rest_framework.settings import api_settings

    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    if output_format is None or output_format.lower() != ISO_8601 or hasattr(field, "timezone"):
        return None
    zone = field.default_timezone()
    if zone is None:
        return None

    def represent(value: Any) -> Any:
        if type(value) is datetime.datetime and value.utcoffset() is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return field.to_representation(value)  # naive values, strings, subclasses: DRF's own handling

    return represent


def _column(field: Any, model: Any) -> Any:
    """The concrete, non-relation column of ``model`` that ``field`` shows as it is stored, else None."""
    from rest_framework import fields as drf
    from rest_framework.relations import RelatedField

    if model is None or isinstance(field, RelatedField) or len(field.source_attrs) != 1:
        return None
    if type(field).get_attribute is not drf.Field.get_attribute:
        return None
    try:
        column = model._meta.get_field(field.source_attrs[0])
    except Exception:  # not a model field: a property, a method, an annotation
        return None
    if not getattr(column, "concrete", False) or column.is_relation or column.attname != field.source_attrs[0]:
        return None
    return column


def _plain_source(field: Any) -> str | None:
    """The one attribute (or ``values()`` key) ``field`` reads, when DRF reads nothing else."""
    from rest_framework import fields as drf
    from rest_framework.relations import RelatedField

    if isinstance(field, RelatedField) or len(field.source_attrs) != 1:
        return None
    if type(field).get_attribute is not drf.Field.get_attribute:
        return None
    return field.source_attrs[0]


def _value_only(field: Any) -> bool:
    """Whether ``field.to_representation`` depends on the value and the field's own settings only: DRF's
    own value fields (never a relation, a nested serializer or a field of ours that could read the
    request through its context)."""
    from rest_framework import fields as drf

    method = type(field).to_representation
    if method in (drf.ListField.to_representation, drf.DictField.to_representation):
        return _value_only(field.child)
    return _conversion(field) is not None or method in {
        kind.to_representation
        for kind in (
            drf.BooleanField,
            drf.ChoiceField,
            drf.MultipleChoiceField,
            drf.DecimalField,
            drf.DateField,
            drf.TimeField,
            drf.DurationField,
            drf.JSONField,
            drf.UUIDField,
        )
    }


def _request_free(field: Any, model: Any) -> bool:
    """Whether ``field``'s output can depend on nothing but the row: a method of the serializer (called
    on the page's own serializer), a field declaring ``context_free``, or a plain value of a DRF value
    field (no method that could read the request runs)."""
    from rest_framework.serializers import SerializerMethodField

    if isinstance(field, SerializerMethodField) or getattr(field, "context_free", False):
        return True
    return _plain_source(field) is not None and _value_only(field)


_CLASS_FIELDS: dict[type, list[Any] | None] = {}


def _page_fields(child: Any, model: Any) -> list[Any]:
    """The readable fields of ``child``: its class's, built once, unless this instance built its own
    (``?fields=`` selection trims them) or the class's could depend on the request."""
    from rest_framework.serializers import ModelSerializer, Serializer

    kind = type(child)
    if "fields" in child.__dict__ or kind.get_fields not in (Serializer.get_fields, ModelSerializer.get_fields):
        return list(child._readable_fields)
    if kind not in _CLASS_FIELDS:
        try:
            fields = list(kind()._readable_fields)
        except TypeError:  # a serializer that needs arguments to be built
            fields = None
        if fields is not None and not all(_request_free(field, model) for field in fields):
            fields = None
        _CLASS_FIELDS[kind] = fields
    return _CLASS_FIELDS[kind] or list(child._readable_fields)


@functools.cache
def plain_columns(serializer_class: Any) -> tuple[str, ...]:
    """The attributes a ``serializer_class`` row is presented from, for ``QuerySet.values()`` (a page of
    dicts is presented without building a model instance per row); TypeError when a field reads more."""
    sources = tuple(_plain_source(field) for field in serializer_class()._readable_fields)
    if None in sources:
        raise TypeError(f"{serializer_class.__name__} shows more than plain columns: present model rows")
    return cast(tuple[str, ...], sources)


def present_rows(child: Any, rows: Any) -> list[dict[str, Any]]:
    """``[child.to_representation(row) for row in rows]`` with the same output, minus DRF's per-field
    machinery: the readable fields are built once per serializer class (``_page_fields``) and resolved once
    per page; plain model columns (or the keys of ``values()`` rows) are read directly and trivial
    conversions (``str``, ``int``, ISO datetimes) called directly; a ``SerializerMethodField`` calls the
    page's serializer's method. Every other field goes through its own ``get_attribute`` and
    ``to_representation`` exactly as DRF does."""
    import operator

    from rest_framework.fields import SkipField
    from rest_framework.relations import PKOnlyObject
    from rest_framework.serializers import SerializerMethodField

    model = getattr(getattr(child, "Meta", None), "model", None)
    plan = []
    for field in _page_fields(child, model):
        column = _column(field, model)
        convert = _conversion(field, column) or field.to_representation
        if isinstance(field, SerializerMethodField):
            get_attribute, convert = getattr(child, field.method_name), _identity
        else:
            get_attribute = field.get_attribute
        getter = operator.attrgetter(column.attname) if column is not None else None
        plan.append((field.field_name, getter, _plain_source(field), get_attribute, convert))
    out: list[dict[str, Any]] = []
    for row in rows:
        ret: dict[str, Any] = {}
        is_model = model is not None and isinstance(row, model)
        is_dict = type(row) is dict
        for name, getter, key, get_attribute, represent in plan:
            if getter is not None and is_model:
                attribute = getter(row)
            elif is_dict and key is not None and key in row:
                attribute = row[key]
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


def make_fast_single(serializer: Any) -> Any:
    """Present one output object (no ``data``) as ``present_rows`` presents a list row: the same body, with
    the serializer's fields built once per class instead of for every request. A serializer overriding
    ``to_representation`` keeps its own."""
    from rest_framework.serializers import Serializer

    if type(serializer).to_representation is Serializer.to_representation:
        serializer.to_representation = functools.partial(_present_one, serializer)
    return serializer


def _present_one(serializer: Any, instance: Any) -> dict[str, Any]:
    return present_rows(serializer, (instance,))[0]


def _fast_list_class() -> type:
    from django.db import models
    from rest_framework.serializers import ListSerializer

    class FastListSerializer(ListSerializer):
        def to_representation(self, data: Any) -> list[Any]:
            iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
            return present_rows(self.child, iterable)

    return FastListSerializer


FastListSerializer = _fast_list_class()
