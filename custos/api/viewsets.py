"""Base views and viewsets: each belongs to one dialect and answers in its conventions.

``TenantViewSet`` is the only way domain resources are exposed: its queryset is always narrowed to
the caller's organizations and creation always stamps the caller's organization, so another
tenant's object is a 404 and can never be listed or written into.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import generics, mixins, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from custos.api.conventions import get_dialect
from custos.api.tenancy import current_organization_id, visible_org_ids


class DialectMixin:
    dialect: ClassVar[str] = "pipeline"
    field_selection: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        conventions = get_dialect(cls.dialect)
        auto: set[str] = set()
        # A class may set any of these itself; otherwise its dialect decides.
        for attribute, value in (
            ("pagination_class", conventions.pagination_class),
            ("renderer_classes", list(conventions.renderer_classes)),
            ("parser_classes", list(conventions.parser_classes)),
            ("field_selection", conventions.field_selection),
        ):
            if not _set_explicitly(cls, attribute):
                setattr(cls, attribute, value)
                auto.add(attribute)
        cls._dialect_auto = frozenset(auto)


def _set_explicitly(cls: type, attribute: str) -> bool:
    for klass in cls.__mro__:
        if not issubclass(klass, DialectMixin) or klass.__module__ == __name__:
            continue
        if attribute in klass.__dict__ and attribute not in klass.__dict__.get("_dialect_auto", ()):
            return True
    return False


class DialectAPIView(DialectMixin, APIView):
    pass


class DialectViewSet(DialectMixin, viewsets.GenericViewSet):
    pass


class DialectGenericView(DialectMixin, generics.GenericAPIView):
    pass


class TenantViewSet(
    DialectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """CRUD over an ``OrgOwnedModel``, scoped to the caller's organizations."""

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().filter(organization_id__in=visible_org_ids(self.request))

    def perform_create(self, serializer: Any) -> None:
        serializer.save(organization_id=current_organization_id(self.request))


class TenantServiceViewSet(TenantViewSet):
    """A ``TenantViewSet`` whose writes go through services: ``input_serializer_class`` parses the body,
    ``service_create/update/delete`` (defined by the subclass) write and audit, ``serializer_class``
    presents the result (re-read through ``get_queryset`` so annotations are included). A subclass that
    offers no update or delete leaves those methods out of ``http_method_names``."""

    input_serializer_class: ClassVar[type | None] = None

    def get_serializer_class(self):
        if self.action in {"create", "update", "partial_update"} and self.input_serializer_class is not None:
            return self.input_serializer_class
        return super().get_serializer_class()

    def _valid_input(self, *, partial: bool = False) -> dict[str, Any]:
        serializer = self.input_serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _present(self, instance: Any, status: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.serializer_class(fresh, context=self.get_serializer_context()).data, status=status)

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return self._present(self.service_create(self._valid_input()), status=201)

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        data = self._valid_input(partial=kwargs.pop("partial", False))
        return self._present(self.service_update(instance, data))

    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        self.service_delete(self.get_object())
        return Response(status=204)
