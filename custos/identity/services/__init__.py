"""Identity writes, by concern. Every service that writes takes a ``WriteContext`` first.

``from custos.identity import services; services.user_register(ctx, ...)`` keeps working: the public
names of the modules below are re-exported here.

* ``registration``: self-registration, pre-registration;
* ``accounts``: profile, administration and deletion of accounts (one set for every route);
* ``login``: credentials, failure counting and lockout per account and address;
* ``sessions``: login sessions, refresh rotation with reuse detection, logout, revocation;
* ``recovery``: password change and reset, address confirmation (mail);
* ``devices``: logged devices; ``api_keys``: API keys; ``housekeeping``: purging dead credentials.
"""

from custos.identity.services._base import PROFILE_FIELDS, User
from custos.identity.services.accounts import (
    CLEARANCE_FIELDS,
    STAFF_FIELDS,
    USER_FIELDS,
    user_create,
    user_delete,
    user_set_active,
    user_set_avatar,
    user_update,
    user_update_profile,
)
from custos.identity.services.api_keys import (
    API_KEY_PREFIX,
    IssuedApiKey,
    api_key_create,
    api_key_revoke,
    api_key_touch,
)
from custos.identity.services.devices import (
    DEVICE_FIELDS,
    describe_user_agent,
    logged_device_create,
    logged_device_delete,
    logged_device_update,
)
from custos.identity.services.housekeeping import credentials_purge_expired
from custos.identity.services.login import find_account, login_authenticate
from custos.identity.services.recovery import (
    MAILS_PER_ADDRESS_PER_HOUR,
    email_confirm,
    email_confirmation_request,
    password_change,
    password_reset_confirm,
    password_reset_request,
)
from custos.identity.services.registration import pre_registration_create, user_register, username_from_email
from custos.identity.services.sessions import (
    reuse_leeway_seconds,
    session_logout,
    session_refresh,
    session_revoke,
    session_start,
    sessions_revoke_all,
)

__all__ = [
    "API_KEY_PREFIX",
    "CLEARANCE_FIELDS",
    "DEVICE_FIELDS",
    "MAILS_PER_ADDRESS_PER_HOUR",
    "PROFILE_FIELDS",
    "STAFF_FIELDS",
    "USER_FIELDS",
    "IssuedApiKey",
    "User",
    "api_key_create",
    "api_key_revoke",
    "api_key_touch",
    "credentials_purge_expired",
    "describe_user_agent",
    "email_confirm",
    "email_confirmation_request",
    "find_account",
    "logged_device_create",
    "logged_device_delete",
    "logged_device_update",
    "login_authenticate",
    "password_change",
    "password_reset_confirm",
    "password_reset_request",
    "pre_registration_create",
    "reuse_leeway_seconds",
    "session_logout",
    "session_refresh",
    "session_revoke",
    "session_start",
    "sessions_revoke_all",
    "user_create",
    "user_delete",
    "user_register",
    "user_set_active",
    "user_set_avatar",
    "user_update",
    "user_update_profile",
    "username_from_email",
]
