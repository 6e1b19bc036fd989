"""Serializer helpers shared by the dialects."""

from __future__ import annotations

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
