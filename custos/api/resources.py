"""The tenant resource base: a domain declares a REST resource here in a few lines.

    class SegmentViewSet(TenantResource):
        dialect = "pipeline"
        queryset = PipelineSegment.objects.select_related("pipeline")
        serializer_class = SegmentSerializer                 # output
        input_serializer_class = SegmentWriteSerializer      # input (create/update)
        filterset_class = SegmentFilter
        parent = Parent("pipeline", Pipeline)                # a child of a pipeline named in the body
        writes = Writes(create=services.segment_create, update=services.segment_update,
                        delete=services.segment_delete)
        roles = {"update_monitoring": WRITE_ROLES}           # per action; defaults below

What the base guarantees, so a declaration cannot get it wrong:

* **Scoping.** ``get_queryset`` and ``get_object`` are final: a subclass that defines either is refused
  when the class is created. The one hook, ``scope(queryset)``, runs *before* the organization filter,
  so whatever it returns is still narrowed to the caller's organizations: it can only narrow.
* **Roles.** Reads need a member of the row's organization (scoping does that); writes need a role in
  ``roles[action]`` (default ``WRITE_ROLES`` for unsafe methods, ``None`` — any member — for safe
  ones), checked against the organization of the object, of the parent, or the current one.
  Services check again through the audited write helpers.
* **Writes** go to the service functions of ``writes`` with a ``WriteContext`` (``self.ctx``):
  ``create(ctx, data=..., <parent field>=parent)``, ``update(ctx, instance, data=...)``,
  ``delete(ctx, instance)``. A write the declaration does not offer is not routed (405).
* **Parent.** ``Parent(field, model)``: creation names the parent in the body (``{"pipeline": id}``);
  a parent the caller cannot see is the DRF "object does not exist" error; an update may repeat the
  parent but never change it. ``Parent(field, model, url_kwarg="pipeline_pk")`` takes it from the URL
  instead and narrows the list to that parent's children.
* **Presentation.** The output serializer presents the row re-read through the scoped queryset (so
  annotations are included), single objects in the dialect's envelope (``present_one``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from custos.api.conventions import get_dialect
from custos.api.tenancy import current_organization_id, visible_org_ids
from custos.api.viewsets import DialectMixin
from custos.audit.writes import ROLE_MESSAGE
from custos.kernel.context import WriteContext
from custos.kernel.errors import NotFound, PermissionDenied, ValidationFailed, does_not_exist
from custos.orgs.choices import WRITE_ROLES
from custos.orgs.selectors import role_of

FINAL_METHODS = ("get_queryset", "get_object")


@dataclass(frozen=True)
class Writes:
    """The service functions behind a resource's writes (any may be ``None``: not offered)."""

    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Parent:
    """The resource is a child of ``model``: named by ``field`` in the body, or by ``url_kwarg``."""

    field: str
    model: type[Model]
    url_kwarg: str | None = None

    def missing(self, value: Any) -> ValidationFailed:
        return does_not_exist(self.field, value)


def visible_object(request: Any, model: type[Model], pk: Any) -> Any:
    """The ``model`` row ``pk`` if the caller's organizations hold it, else ``None`` (never a hint)."""
    try:
        return model._default_manager.filter(organization_id__in=visible_org_ids(request), pk=pk).first()
    except (ValueError, TypeError, DjangoValidationError):  # a malformed id is as absent as a foreign one
        return None


class ResourcePermission(BasePermission):
    """Authenticated members read; writers need the action's role in the organization concerned."""

    message = ROLE_MESSAGE

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        roles = view.roles_for(view.action, request.method)
        if roles is None or view.detail or view.parent_declared_in_body():
            return True  # decided against the object (or the parent) once it is known
        return role_of(user=request.user, organization=current_organization_id(request)) in roles

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        roles = view.roles_for(view.action, request.method)
        if roles is None:
            return True
        return role_of(user=request.user, organization=obj.organization_id) in roles


def _document_writes(cls: type[TenantResource]) -> None:
    """The schema of the writes: the input serializer in, the output serializer out (201 on create).
    An ``extend_schema_view`` on the class itself is applied afterwards and wins."""
    output = cls.__dict__.get("serializer_class") or getattr(cls, "serializer_class", None)
    create_input = cls.input_serializer_class
    if output is None or create_input is None:
        return
    update_input = cls.update_serializer_class or create_input
    extend_schema_view(
        create=extend_schema(request=create_input, responses={201: output}),
        update=extend_schema(request=update_input, responses=output),
        partial_update=extend_schema(request=update_input, responses=output),
    )(cls)


class TenantResource(
    DialectMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A REST resource over an organization-owned model (see the module docstring)."""

    input_serializer_class: ClassVar[type | None] = None
    update_serializer_class: ClassVar[type | None] = None  # input of updates, when it differs from create's
    writes: ClassVar[Writes] = Writes()
    parent: ClassVar[Parent | None] = None
    roles: ClassVar[dict[str, Collection[str] | None]] = {}
    permission_classes = (ResourcePermission,)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        overridden = [name for name in FINAL_METHODS if name in cls.__dict__]
        if overridden:
            raise TypeError(
                f"{cls.__qualname__} overrides {', '.join(overridden)}: tenant resources are scoped by the base; "
                "narrow them with scope(queryset) instead."
            )
        if "http_method_names" not in cls.__dict__:
            # POST stays for extra actions; ``create`` answers 405 itself when it is not offered.
            offered = {"get", "head", "options", "post"}
            if cls.writes.update is not None:
                offered.update({"put", "patch"})
            if cls.writes.delete is not None:
                offered.add("delete")
            cls.http_method_names = [m for m in viewsets.GenericViewSet.http_method_names if m in offered]
        _document_writes(cls)

    # --- scoping (final) ----------------------------------------------------------------------

    def scope(self, queryset: QuerySet) -> QuerySet:
        """Hook: narrow the queryset further (runs before the organization filter)."""
        return queryset

    def get_queryset(self) -> QuerySet:
        queryset = self.scope(super().get_queryset())
        queryset = queryset.filter(organization_id__in=visible_org_ids(self.request))
        parent = self.parent
        if parent is not None and parent.url_kwarg is not None:
            queryset = queryset.filter(**{f"{parent.field}_id": self.url_parent.pk})
        return queryset

    def get_object(self) -> Any:
        return super().get_object()

    # --- context, roles, parent ---------------------------------------------------------------

    @cached_property
    def ctx(self) -> WriteContext:
        """The write context of this request (organization set per write)."""
        return WriteContext.from_request(self.request)

    def roles_for(self, action: str | None, method: str) -> Collection[str] | None:
        if action in self.roles:
            return self.roles[action]
        return None if method in SAFE_METHODS else WRITE_ROLES

    def parent_declared_in_body(self) -> bool:
        return self.parent is not None and self.parent.url_kwarg is None and self.action == "create"

    @cached_property
    def url_parent(self) -> Any:
        parent = self.parent
        assert parent is not None and parent.url_kwarg is not None
        found = visible_object(self.request, parent.model, self.kwargs.get(parent.url_kwarg))
        if found is None:
            raise NotFound()
        return found

    def _require(self, organization_id: Any) -> None:
        roles = self.roles_for(self.action, self.request.method or "GET")
        if roles is not None and role_of(user=self.request.user, organization=organization_id) not in roles:
            raise PermissionDenied(ROLE_MESSAGE)

    def parent_for_create(self, data: dict[str, Any]) -> Any:
        """The parent of a new row (checked visible and writable), popped from ``data``."""
        parent = self.parent
        if parent is None:
            return None
        if parent.url_kwarg is not None:
            found = self.url_parent
        else:
            value = data.pop(parent.field, None)
            found = None if value is None else visible_object(self.request, parent.model, getattr(value, "pk", value))
            if found is None:
                raise parent.missing(value)
        self._require(found.organization_id)
        return found

    def keep_parent(self, data: dict[str, Any], instance: Any) -> None:
        """An update may repeat the row's parent but never move the row to another one."""
        parent = self.parent
        if parent is None or parent.field not in data:
            return
        value = data.pop(parent.field)
        if getattr(value, "pk", value) != getattr(instance, f"{parent.field}_id"):
            noun = str(type(instance)._meta.verbose_name)
            article = "An" if noun[:1].lower() in "aeiou" else "A"
            message = f"{article} {noun} cannot move to another {parent.field.replace('_', ' ')}."
            raise ValidationFailed(field_errors={parent.field: [message]})

    # --- input and presentation ---------------------------------------------------------------

    def get_serializer_class(self) -> Any:
        if self.action in {"update", "partial_update"} and self.update_serializer_class is not None:
            return self.update_serializer_class
        if self.action in {"create", "update", "partial_update"} and self.input_serializer_class is not None:
            return self.input_serializer_class
        return super().get_serializer_class()

    def valid_input(self, serializer_class: Any = None, *, partial: bool = False) -> dict[str, Any]:
        chosen: Any = serializer_class or self.input_serializer_class or self.serializer_class
        serializer = chosen(data=self.request.data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def present(self, instance: Any, status: int = 200, *, message: str | None = None) -> Response:
        """The row as the output serializer shows it, re-read through the scoped queryset."""
        fresh = self.get_queryset().get(pk=instance.pk)
        output: Any = self.serializer_class
        data = output(fresh, context=self.get_serializer_context()).data
        return Response(get_dialect(self.dialect).present_one(data, message=message), status=status)

    # --- the writes ---------------------------------------------------------------------------

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        service = self.writes.create
        if service is None:
            return self.http_method_not_allowed(request)
        data = self.valid_input()
        parent = self.parent_for_create(data)
        if self.parent is not None and parent is not None:
            instance = service(self.ctx.within(parent.organization_id), data=data, **{self.parent.field: parent})
        else:
            instance = service(self.ctx.within(current_organization_id(request)), data=data)
        return self.present(instance, status=201, message="Created")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        service = self.writes.update
        if service is None:
            return self.http_method_not_allowed(request)
        instance = self.get_object()
        data = self.valid_input(self.update_serializer_class, partial=kwargs.pop("partial", False))
        self.keep_parent(data, instance)
        instance = service(self.ctx.within(instance.organization_id), instance, data=data)
        return self.present(instance, message="Updated")

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        service = self.writes.delete
        if service is None:
            return self.http_method_not_allowed(request)
        instance = self.get_object()
        service(self.ctx.within(instance.organization_id), instance)
        return Response(status=204)


class TenantAggregate(DialectMixin, viewsets.GenericViewSet):
    """Read-only figures over the caller's organizations (dashboards, summaries): no object is served,
    so ``get_queryset`` answers nothing; actions compute from ``self.org_ids``, the organizations the
    request may read. ``queryset`` names the model for the schema only."""

    pagination_class = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or "get_object" in cls.__dict__:
            raise TypeError(f"{cls.__qualname__}: an aggregate serves figures over self.org_ids, never objects.")

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().none()

    def get_object(self) -> Any:
        raise NotFound()

    @property
    def org_ids(self) -> list[Any]:
        return visible_org_ids(self.request)
