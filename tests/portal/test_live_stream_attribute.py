"""Pages open the live stream only for users the stream serves: `/events/` refuses a user
without a membership (the superuser), so their pages must not try it on every load."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import User
from tests.factories import PASSWORD
from tests.support.world import World, client_for

PAGES = ["/programs/", "/deviations/", "/notifications/"]


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(email="admin@nb.example", password=PASSWORD)


@pytest.mark.parametrize("path", PAGES)
def test_the_superusers_pages_do_not_open_the_stream(superuser: User, path: str):
    client = Client()
    client.force_login(superuser)
    response = client.get(path)
    assert response.status_code == 200
    assert b"sse-connect" not in response.content


@pytest.mark.parametrize("path", PAGES)
def test_a_members_pages_open_the_stream(world: World, path: str):
    response = client_for(world, "viewer_a").get(path)
    assert response.status_code == 200
    assert b'sse-connect="/events/"' in response.content


def test_the_sign_in_page_does_not_open_the_stream(db):
    response = Client().get("/accounts/login/")
    assert b"sse-connect" not in response.content
