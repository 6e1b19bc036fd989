"""Settings come only from the environment; malformed values stop start-up with one line naming them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ConfigError, env_bool, env_int, env_list, env_str, env_url, persisted_secret

ROOT = Path(__file__).resolve().parent.parent


def test_env_int(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    assert env_int("X_INT", 3) == 12
    monkeypatch.setenv("X_INT", "twelve")
    with pytest.raises(ConfigError, match=r"^X_INT='twelve' is invalid: expected an integer$"):
        env_int("X_INT", 3)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ConfigError, match=r"^X_INT=0 is invalid: must be at least 1$"):
        env_int("X_INT", 3, minimum=1)
    monkeypatch.delenv("X_INT")
    assert env_int("X_INT", 3) == 3


def test_env_bool_and_list_and_str(monkeypatch):
    monkeypatch.setenv("X_BOOL", "Yes")
    assert env_bool("X_BOOL") is True
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ConfigError, match="X_BOOL='maybe' is invalid: expected a boolean"):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_LIST", " a, b ,,c ")
    assert env_list("X_LIST") == ["a", "b", "c"]
    monkeypatch.setenv("X_STR", "smtp2")
    with pytest.raises(ConfigError, match="X_STR='smtp2' is invalid: expected one of file, smtp"):
        env_str("X_STR", "file", choices=("file", "smtp"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mysql://db/x", "scheme 'mysql' is not one of postgres"),
        ("postgres:///nohost", "a host is required for postgres URLs"),
        ("postgres://db:99999/x", "the port is not a number in 0-65535"),
    ],
)
def test_env_url_rejects(monkeypatch, value, message):
    monkeypatch.setenv("X_URL", value)
    with pytest.raises(ConfigError, match=message):
        env_url("X_URL", schemes=("postgres",))


def test_persisted_secret_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("X_SECRET", raising=False)
    path = tmp_path / "sub" / "secret"
    first = persisted_secret("X_SECRET", path)
    assert len(first) >= 50
    assert persisted_secret("X_SECRET", path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("X_SECRET", "short")
    with pytest.raises(ConfigError, match="X_SECRET is invalid: use at least 32 characters"):
        persisted_secret("X_SECRET", path)


def _custos(*args: str, env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "custos", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"CUSTOS_HOME": str(tmp_path / "home"), **extra})
    return env


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DATABASE_URL", "mysql://localhost/custos"), ("JWT_ACCESS_MINUTES", "soon"), ("DEBUG", "perhaps")],
)
def test_bad_environment_stops_the_cli_with_one_line(tmp_path, variable, value):
    result = _custos("check", env=_clean_env(tmp_path, **{variable: value}))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"custos: configuration error: {variable}")


def test_production_settings_hash_passwords_with_argon2(tmp_path):
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=_clean_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_run_mode_follows_the_environment(settings):
    engine = settings.DATABASES["default"]["ENGINE"]
    cache = settings.CACHES["default"]["BACKEND"]
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        assert engine == "django_prometheus.db.backends.postgresql"
    else:
        assert engine == "custos.ops.db.sqlite3"  # django-prometheus's, its cursor class built once
    if os.environ.get("REDIS_URL"):
        assert (cache, layer) == (
            "django.core.cache.backends.redis.RedisCache",
            "channels_redis.pubsub.RedisPubSubChannelLayer",
        )
    else:
        # diskcache's SQLite files, shared by the machine's processes: an atomic increment of microseconds
        # for the rate-limit counters (Django's file cache rewrote a file per write and its incr was not
        # atomic across processes).
        assert (cache, layer) == (
            "custos.ops.cache.EmbeddedCache",
            "channels.layers.InMemoryChannelLayer",
        )
        assert settings.CACHES["default"]["LOCATION"] == str(settings.CUSTOS_HOME / "cache")
    if not os.environ.get("CELERY_BROKER_URL"):
        assert settings.CELERY_BROKER_URL.startswith("sqla+sqlite:///")
        assert settings.EMBEDDED_QUEUE is True
