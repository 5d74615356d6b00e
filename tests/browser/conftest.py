"""Browser tests: Debian's Chromium driven by Playwright against `portal.asgi` served by uvicorn
in a thread (the live stream needs a real ASGI server). They commit for real, so they are
transactional and run on PostgreSQL with Redis, like every `services` test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from playwright.sync_api import Page

from portal.celery import app as celery_app
from portal.livetools import serve_in_thread
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.services)
            item.add_marker(pytest.mark.django_db(transaction=True))


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


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
