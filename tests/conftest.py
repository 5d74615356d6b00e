"""Shared fixtures: the persona world, the permission harness's scene and the service-test
switch. The helpers behind them live in tests/support/."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from portal.models import User
from tests.factories import PASSWORD
from tests.support.api import new_token, private_throttles, token_client
from tests.support.permissions import Scene
from tests.support.world import World, build_world, rolled_back

SERVICES = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    if SERVICES:
        return
    for item in items:
        if item.get_closest_marker("services") is not None:  # not the tests/*/services/ folders
            if REQUIRE_SERVICES:
                item.add_marker(pytest.mark.usefixtures("_services_missing"))
            else:
                item.add_marker(
                    pytest.mark.skip(reason="needs DATABASE_URL and REDIS_URL (real services)")
                )


@pytest.fixture
def _services_missing():
    pytest.fail("REQUIRE_SERVICES=1 but DATABASE_URL/REDIS_URL are not set")


def pytest_sessionfinish(session, exitstatus):
    """With REQUIRE_SERVICES=1 (CI) a skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_SERVICES and reporter and reporter.stats.get("skipped"):
        reporter.write_line("REQUIRE_SERVICES=1: skipped tests count as failures", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache_namespace(monkeypatch):
    """Each test counts its own throttles and sign-in failures: user ids repeat across tests and
    xdist workers share one Redis, so counters would otherwise leak from test to test."""
    from django.core.cache import caches

    for alias in ("default", "answers"):
        monkeypatch.setattr(caches[alias], "key_prefix", f"test-{uuid.uuid4().hex}")


@pytest.fixture(autouse=True)
def _fresh_throttles(monkeypatch, request):
    """Each test counts its own API throttles (see `private_throttles`)."""
    private_throttles(monkeypatch, request.node.nodeid)


@pytest.fixture(autouse=True)
def _private_audit_checkpoints(settings, tmp_path_factory):
    """Each test anchors the audit chains in a checkpoint file of its own, never in var/."""
    folder = tmp_path_factory.getbasetemp() / "audit-checkpoints"
    settings.AUDIT_CHECKPOINT_FILE = folder / f"{uuid.uuid4().hex}.jsonl"


@pytest.fixture
def api_as() -> Callable[[User | None], Client]:
    """A client authenticated with a fresh API token for the user (None: no credentials)."""

    def build(user: User | None) -> Client:
        return token_client(new_token(user) if user is not None else None)

    return build


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(scope="module")
def permission_scene(django_db_setup, django_db_blocker) -> Iterator[Scene]:
    """The permission harness's scene, built once per module; each test's transaction nests in
    it as a savepoint, so every test starts from it unchanged."""
    from tests.support.scene import build_scene

    with django_db_blocker.unblock(), rolled_back():
        yield build_scene()


@pytest.fixture
def password() -> str:
    return PASSWORD
