"""API test helpers: token clients, and throttle counters that start empty for every test."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from portal.models import User
from portal.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_throttles(monkeypatch, request):
    """Throttle counters are keyed by user id and client address, which repeat from test to
    test; a private cache per test keeps one test's requests from throttling the next, and
    leaves the shared (Redis) cache alone."""
    monkeypatch.setattr(SimpleRateThrottle, "cache", LocMemCache(request.node.nodeid, {}))


def new_token(user: User, name: str = "LIMS sync") -> str:
    _, key = api_token_create(actor=None, user=user, name=name)
    return key


def token_client(key: str | None) -> Client:
    return Client(headers={"Authorization": f"Token {key}"} if key else {})


@pytest.fixture
def api_as() -> Callable[[User | None], Client]:
    """A client authenticated with a fresh API token for the user (None: no credentials)."""

    def build(user: User | None) -> Client:
        return token_client(new_token(user) if user is not None else None)

    return build


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def assert_error(response: Any, status: int, code: str, fields: set[str] | None = None) -> dict:
    """The one error shape: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]
    if fields is not None:
        assert set(error["fields"]) == fields
    return error
