"""API clients: by session or by token, and the one error shape the API answers with."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from portal.models import User
from portal.services import api_token_create
from tests.support.world import World, client_for, person

Auth = Literal["session", "token"]
ERROR_KEYS = {"code", "message", "fields"}


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI schema as `/api/v1/schema/` serves it, generated in this process: the view
    needs a signed-in client, and pytest's collection has no database to sign one in with."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def new_token(user: User, name: str = "LIMS sync") -> str:
    """A fresh API token for the user; the key as a client would send it."""
    _, key = api_token_create(actor=None, user=user, name=name)
    return key


def token_client(key: str | None) -> Client:
    """A client that sends the token with every request (None: no credentials)."""
    return Client(headers={"Authorization": f"Token {key}"} if key else {})


def api_client(world: World, persona: str, auth: Auth = "token") -> Client:
    """A client for the persona, signed in by session or carrying a fresh token."""
    if auth == "session":
        return client_for(world, persona)
    user = person(world, persona)
    return token_client(new_token(user) if user is not None else None)


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def assert_error(response: Any, status: int, code: str, fields: set[str] | None = None) -> dict:
    """The one error shape: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == ERROR_KEYS
    assert error["code"] == code
    assert error["message"]
    if fields is not None:
        assert set(error["fields"]) == fields
    return error


def private_throttles(monkeypatch: Any, name: str) -> None:
    """Give the API's throttles a cache of their own, named for the test.

    Throttle counters are keyed by user id and client address, which repeat from test to test;
    a private cache keeps one test's requests from throttling the next, and leaves the shared
    (Redis) cache alone.
    """
    monkeypatch.setattr(SimpleRateThrottle, "cache", LocMemCache(name, {}))
