"""How many database queries one request costs: the measure behind every query budget."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

HTMX = {"HX-Request": "true"}


def count_queries(
    client: Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    status: int = 200,
    warm_up: bool = False,
    cold: bool = True,
) -> int:
    """The queries of one GET, after checking it answered `status`.

    `warm_up` sends the request once first, so that one-off writes (a token's last-used stamp,
    a session touch) are not counted against the page. `cold` (the default) empties the cache
    first, so that what is measured is building the answer, not one kept under its program
    versions (portal/api/conditional.py): tests that grow data with factories change no
    version. `cold=False` measures the kept answer.
    """
    if warm_up:
        client.get(url, params, headers=headers)
    if cold:
        caches["answers"].key_prefix = f"cold-{uuid.uuid4().hex}"  # nothing kept: build it
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params, headers=headers)
    assert response.status_code == status, response.content[:300]
    return len(captured)


def htmx_if_fragment(url: str) -> dict[str, str]:
    """The HTMX header when the URL asks for a fragment, as the page's own requests send it."""
    return HTMX if "fragment=" in url else {}
