"""Settings for the test suite: the real settings, with a private CUSTOS_HOME per run and fast hashing.

The run mode still comes from the environment, so the same suite runs embedded (no variables) and
scaled (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL set), as CI does.
"""

import os
import tempfile

os.environ.setdefault("CUSTOS_HOME", tempfile.mkdtemp(prefix="custos-test-"))
os.environ.setdefault("CUSTOS_EMBEDDED_WORKER", "false")

from config.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests create many users. tests/test_settings.py checks production uses Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
