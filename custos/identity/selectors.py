"""Identity reads: users, sessions, devices and API keys as their owner (or staff) may see them."""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from custos.identity.errors import AuthenticationFailed
from custos.identity.models import ApiKey, AuthSession, LoggedDevice, PreRegistration
from custos.identity.tokens import hash_api_key
from custos.kernel.errors import PermissionDenied

User = get_user_model()


ACTIVE_MEMBERSHIPS = "active_memberships"  # prefetched for the attestation fields of user responses


def with_active_memberships(users: QuerySet) -> QuerySet:
    """``users`` with their memberships of active organizations prefetched (one query for the page)."""
    from custos.orgs.models import Membership

    active = Membership.objects.filter(organization__is_active=True)
    return users.prefetch_related(Prefetch("memberships", queryset=active, to_attr=ACTIVE_MEMBERSHIPS))


def user_list_visible(*, actor: Any) -> QuerySet:
    """Staff see every account; anyone else sees only their own."""
    users = with_active_memberships(User.objects.all().order_by("email"))
    return users if actor.is_staff else users.filter(pk=actor.pk)


def session_list_active(*, user: Any) -> QuerySet:
    return AuthSession.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def session_list(*, user: Any) -> QuerySet:
    return AuthSession.objects.filter(user=user)


def live_sessions() -> QuerySet:
    """Sessions neither revoked nor expired, at this instant."""
    return AuthSession.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def session_is_live(*, session_id: Any, user_id: Any) -> bool:
    return live_sessions().filter(pk=session_id, user_id=user_id).exists()


SESSION_LIVE = "custos_session_live"  # the column ``token_user`` adds when asked about a session


@functools.cache
def _token_user_sql(vendor: str, with_session: bool) -> str:
    """The statement of ``token_user``, written once per database vendor (it is raw SQL because the
    ORM spends longer compiling the same statement than the database takes to run two of them:
    ``bench/auth_cost.py``). It selects the user's concrete columns in the model's order, then, with a
    session, whether that session is live."""
    quote = connections[User.objects.db].ops.quote_name
    user, session = User._meta, AuthSession._meta
    users, sessions = quote(user.db_table), quote(session.db_table)

    def column(table: str, meta: Any, name: str) -> str:
        return f"{table}.{quote(meta.get_field(name).column)}"

    user_id = column(users, user, "id")
    columns = ", ".join(f"{users}.{quote(str(field.column))}" for field in user.concrete_fields)
    if not with_session:
        return f"SELECT {columns} FROM {users} WHERE {user_id} = %s"  # noqa: S608 - names from the models
    names = ("id", "user", "revoked_at", "expires_at")
    pk, owner, revoked, expires = (column(sessions, session, name) for name in names)
    live = f"SELECT 1 FROM {sessions} WHERE {pk} = %s AND {owner} = {user_id} AND {revoked} IS NULL AND {expires} > %s"  # noqa: S608
    return f"SELECT {columns}, EXISTS({live}) FROM {users} WHERE {user_id} = %s"  # noqa: S608


@functools.cache
def _user_row_converters(alias: str) -> tuple[tuple[Any, tuple[Any, ...]], ...]:
    """Per concrete column of the user (the order of ``_token_user_sql``): the column expression and the
    database value converters the ORM would apply to it (the backend's, then the field's)."""
    connection = connections[alias]
    table = User._meta.db_table
    plan = []
    for field in User._meta.concrete_fields:
        expression = field.get_col(table)
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        plan.append((expression, tuple(converters)))
    return tuple(plan)


_USER_ATTNAMES = tuple(field.attname for field in User._meta.concrete_fields)


def _user_from_row(alias: str, row: Any) -> Any:
    """A ``User`` instance from the first columns of ``row``, converted as the ORM converts them."""
    connection = connections[alias]
    values = []
    for value, (expression, converters) in zip(row, _user_row_converters(alias), strict=False):
        for converter in converters:
            value = converter(value, expression, connection)
        values.append(value)
    return User.from_db(alias, _USER_ATTNAMES, values)


def token_user(*, user_id: Any, session_id: Any = None) -> Any:
    """The user an access token names, or ``None``, in ONE query on primary keys.

    With ``session_id`` the row also carries ``SESSION_LIVE``: whether that session of this user is
    live (neither revoked nor expired: ``live_sessions``), an ``EXISTS`` on the session's primary key
    in the same statement. Nothing is cached, so a revocation, a deactivation or a new token version
    counts on the very next request of any process. An identifier that is not a UUID names nothing.
    The row is read through a plain cursor and converted as the ORM converts it (a raw queryset spends
    three times the query's own cost mapping one row).
    """
    alias = User.objects.db
    connection = connections[alias]
    try:
        user_key = User._meta.pk.get_db_prep_value(user_id, connection)
    except (ValidationError, ValueError, TypeError, AttributeError):
        return None
    session_key = None
    if session_id:
        try:
            session_key = AuthSession._meta.pk.get_db_prep_value(session_id, connection)
        except (ValidationError, ValueError, TypeError, AttributeError):
            session_key = None  # names no session: not live
    if session_key is None:
        sql, params = _token_user_sql(connection.vendor, False), [user_key]
    else:
        now = AuthSession._meta.get_field("expires_at").get_db_prep_value(timezone.now(), connection)
        sql, params = _token_user_sql(connection.vendor, True), [session_key, now, user_key]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    user = _user_from_row(alias, row)
    if session_id:
        # SQLite answers 0/1; without a usable session key the session is not live.
        setattr(user, SESSION_LIVE, session_key is not None and bool(row[-1]))
    return user


def logged_device_list(*, user: Any) -> QuerySet:
    return LoggedDevice.objects.filter(user=user)


def api_key_list(*, user: Any) -> QuerySet:
    return ApiKey.objects.filter(user=user)


def pre_registration_list() -> QuerySet:
    return PreRegistration.objects.all()


def api_key_authenticate(*, raw: str, ip: str | None, method: str) -> ApiKey:
    """The active key for ``raw`` usable from ``ip`` for ``method``.

    Unknown, revoked or expired keys are ``AuthenticationFailed`` (401); a valid key used from an
    address outside ``allowed_ips`` or for a write without the ``write`` scope is ``PermissionDenied``.
    """
    key = ApiKey.objects.select_related("user").filter(key_hash=hash_api_key(raw)).first()
    if key is None or not key.is_active or not key.user.is_active:
        raise AuthenticationFailed("Invalid API key.")
    if key.expires_at is not None and key.expires_at <= timezone.now():
        raise AuthenticationFailed("API key has expired.")
    if key.allowed_ips:
        try:
            address = ipaddress.ip_address(ip or "")
        except ValueError:
            address = None
        if address is None or not any(address in ipaddress.ip_network(net) for net in key.allowed_ips):
            raise PermissionDenied("This API key may not be used from this address.")
    safe = method.upper() in ("GET", "HEAD", "OPTIONS")
    allowed = {"read", "write"} if safe else {"write"}
    if not allowed & set(key.scopes):
        raise PermissionDenied(f"This API key's scopes ({', '.join(key.scopes)}) do not allow {method.upper()}.")
    return key
