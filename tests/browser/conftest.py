"""Browser tests: Debian's Chromium driven by Playwright against `portal.asgi` served by uvicorn
in a thread (the live stream needs a real ASGI server). They commit for real, so they are
transactional and run on PostgreSQL with Redis, like every `services` test.

A test is a browser test when it uses Playwright's `browser`, `context` or `page` fixture.
Without Chromium those are skipped with the command that installs it, except under
REQUIRE_SERVICES=1 (CI), where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page

from portal.celery import app as celery_app
from portal.livetools import serve_in_thread
from tests.factories import PASSWORD

# PORTAL_CHROMIUM points the tests at another build (or, in the test of this file, at none).
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
BROWSER_FIXTURES = {"browser", "page", "context"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing(chromium: str) -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if os.access(chromium, os.X_OK) and Path(chromium).is_file():
        return None
    return f"no Chromium at {chromium}: install it with `sudo apt-get install chromium`"


def is_browser_test(item: pytest.Item) -> bool:
    return not BROWSER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath) and is_browser_test(item):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.services)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture (the database, Playwright's browser) is set up."""
    if item.get_closest_marker("browser") is None:
        return
    reason = chromium_missing(CHROMIUM)
    if reason is None:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def portal_url(settings, monkeypatch) -> Iterator[str]:
    """The portal served for real; its live events and tasks kept apart from other workers."""
    settings.EVENTS_CHANNEL = f"portal:events:browser:{uuid.uuid4().hex}"
    task_queue = f"test-browser-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", task_queue)
    with serve_in_thread() as url:
        yield url
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    try:
        for key in broker.scan_iter(match=f"*{task_queue}*"):
            broker.delete(key)
    finally:
        broker.close()


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
