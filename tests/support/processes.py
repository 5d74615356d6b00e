"""The environment of a portal process that a test starts (a uvicorn server, a Celery worker):
the production settings, as a deployment runs them, on the test's own services.

Not the test switches: `PORTAL_TESTING` is refused outside DEBUG (portal/settings.py), and a
served process should run what production runs, the real password hashers included. The test
process itself keeps its fast hasher; these processes never check a password (token clients,
tasks), so the two need not agree.
"""

from __future__ import annotations

import os

from django.conf import settings

# Production insists on a long SECRET_KEY; this one only ever signs a test's cookies.
SECRET_KEY = "integration-test-only-secret-key-0123456789-abcdefghijklmnop"
# What production runs without: the test and debug switches, and the synchronous-ORM escape.
TEST_SWITCHES = ("PORTAL_TESTING", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_TASK_ALWAYS_EAGER")


def production_environment(**values: str) -> dict[str, str]:
    """This process's environment less the test switches, with a SECRET_KEY, cookies that plain
    HTTP on 127.0.0.1 can carry (no TLS redirect), and `values` on top."""
    env = {key: value for key, value in os.environ.items() if key not in TEST_SWITCHES}
    env.update(
        SECRET_KEY=SECRET_KEY,
        # The test process's own chain key, so that both sides write and verify one chain.
        AUDIT_CHAIN_KEY=settings.AUDIT_CHAIN_KEY,
        SECURE_COOKIES="0",
        DJANGO_SETTINGS_MODULE="portal.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(values)
    return env
