"""Typed readers for environment variables.

Settings are read only from the environment. Every helper raises ``ConfigError`` with a one-line
message that names the variable when a value is malformed, so a bad deployment fails at start-up
instead of at the first request that happens to touch the setting.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(Exception):
    """A malformed or missing environment variable. The message names the variable."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str = "", *, choices: tuple[str, ...] | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        value = default
    if choices is not None and value not in choices:
        raise ConfigError(f"{name}={value!r} is invalid: expected one of {', '.join(choices)}")
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name}={value!r} is invalid: expected a boolean (true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is invalid: expected an integer") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name}={number} is invalid: must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name}={number} is invalid: must be at most {maximum}")
    return number


def env_list(name: str, default: tuple[str, ...] = ()) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...]) -> str:
    """A URL whose scheme is one of ``schemes``; empty when unset and no default is given."""
    value = _raw(name)
    if value is None or value == "":
        return default
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ConfigError(f"{name} is invalid: scheme {parts.scheme or '(none)'!r} is not one of {', '.join(schemes)}")
    if parts.scheme not in {"sqlite", "sqla+sqlite", "memory", "file"} and not parts.hostname:
        raise ConfigError(f"{name} is invalid: a host is required for {parts.scheme} URLs")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ConfigError(f"{name} is invalid: the port is not a number in 0-65535") from None
    return value


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    path = Path(value) if value else default
    return path.expanduser().resolve()


def persisted_secret(name: str, path: Path, factory: Callable[[], str] | None = None) -> str:
    """The variable's value, else a secret generated once and kept in ``path`` (mode 0600)."""
    value = _raw(name)
    if value:
        if len(value) < 32:
            raise ConfigError(f"{name} is invalid: use at least 32 characters")
        return value
    if path.exists():
        stored = path.read_text().strip()
        if stored:
            return stored
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = (factory or (lambda: secrets.token_urlsafe(50)))()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(generated)
    return generated
