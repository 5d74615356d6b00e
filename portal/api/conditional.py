"""Conditional GETs: an `ETag` on the status endpoint and on every list, and `304 Not Modified`
when the client's `If-None-Match` still holds, decided before anything is serialised.

A tag is a digest of what the answer depends on:

- who asks (user, organisation and role: never a 304 across users, audiences or
  organisations),
- the path with its query (filters, page),
- the site's date (overdue items and rolling KPI windows move with it),
- and, for a list over programs, the `version` of every program it covers
  (`programs.changes` bumps it once per transaction that changes the program or any record
  under it), so the tag is known from one small query.

A list over something else (notifications, webhooks, people) is tagged by a digest of its body:
the client still gets its 304 and saves the transfer, and the server does the reading.

`Cache-Control: private, no-cache`: no shared cache may keep an answer, and a client keeps it
only to ask again with its tag.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import BaseCache, caches
from django.utils.cache import patch_vary_headers
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from portal import clock
from portal.access import Audience
from portal.api.pagination import updated_after

# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma-separated list.
_TAG = r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"'
_ENTITY_TAG = re.compile(_TAG)
_TAG_LIST = re.compile(rf"\s*{_TAG}(?:\s*,\s*{_TAG})*\s*")
ANY = "*"
MAX_HEADER = 4096
GARBLED = (
    "If-None-Match must be * or a list of entity tags in double quotes, such as "
    '"3f2a…" or W/"3f2a…", separated by commas.'
)
CACHE_CONTROL = "private, no-cache"
VARY = ("Authorization", "Cookie")
READS = ("GET", "HEAD")
# How long a list's body is kept under its tag: it cannot go stale (the tag names everything it
# depends on), so this only bounds the memory a departed client's answers hold.
LIST_CACHE_SECONDS = 300
LIST_CACHE_PREFIX = "api-list:"
TAG_FORMAT = 1  # part of every tag: a change to what answers carry invalidates old tags


def answers() -> BaseCache:
    """The cache of answers kept under the program versions they were built at (the setting's
    `answers` alias): the status, lists and the program overview."""
    return caches["answers"]


def audience_of(user: Any) -> str:
    """The audience whose answers a user reads (sponsor or internal), from the membership
    authentication loaded: no query."""
    membership = getattr(user, "membership", None)
    return (
        Audience.SPONSOR
        if membership is not None and membership.is_sponsor
        else (Audience.INTERNAL)
    )


@dataclass(frozen=True)
class Kept:
    value: Any
    until: float  # when time alone changes it (a timestamp)


def kept(kind: str, program_id: int, version: int, audience: str) -> Any | None:
    """An answer of `kind` kept for the program at `version` and the audience, if still good.
    The version in the key is what makes it current: any change to the program moves it."""
    found = answers().get(_kept_key(kind, program_id, version, audience))
    return found.value if isinstance(found, Kept) and found.until > time.time() else None


def keep(kind: str, program_id: int, version: int, audience: str, value: Any, until: float) -> None:
    """Keep an answer until `until` (or until the program's version moves on)."""
    timeout = max(1, int(until - time.time()))
    answers().set(_kept_key(kind, program_id, version, audience), Kept(value, until), timeout)


def _kept_key(kind: str, program_id: int, version: int, audience: str) -> str:
    return f"kept:{TAG_FORMAT}:{kind}:{program_id}:{version}:{audience}"


def requested_tags(request: Request) -> frozenset[str] | None:
    """The tags in If-None-Match without their weak prefix, {"*"} for any; None without the
    header. A header that is not a list of entity tags is a 400 naming it."""
    raw = request.headers.get("If-None-Match")
    if raw is None:
        return None
    value = raw.strip()
    if value == ANY:
        return frozenset({ANY})
    if len(raw) > MAX_HEADER or not _TAG_LIST.fullmatch(value):
        raise serializers.ValidationError({"If-None-Match": [GARBLED]})
    return frozenset(item.removeprefix("W/") for item in _ENTITY_TAG.findall(value))


def entity_tag(*parts: Any) -> str:
    """A strong tag over `parts` (anything JSON can write, dates and decimals as text)."""
    text = json.dumps([TAG_FORMAT, *parts], sort_keys=True, default=str, separators=(",", ":"))
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def asker(request: Request) -> list[Any]:
    """Who asks, as far as answers differ: the user, their organisation and role."""
    user = request.user
    membership = getattr(user, "membership", None)
    if membership is None:
        return [user.pk, None, None]
    return [user.pk, membership.organisation_id, membership.role, membership.site_wide_qa]


def still_fresh(request: Request, tag: str) -> bool:
    """Whether the client's copy (If-None-Match) is the answer tagged `tag`."""
    wanted = requested_tags(request)
    return wanted is not None and (ANY in wanted or tag in wanted)


def not_modified(tag: str) -> Response:
    return finish(Response(status=status.HTTP_304_NOT_MODIFIED), tag)


def finish(response: Response, tag: str) -> Response:
    response["ETag"] = tag
    response["Cache-Control"] = CACHE_CONTROL
    patch_vary_headers(response, VARY)
    return response


class Answered(APIException):
    """Raised once the answer is known without running the view: a 304 for a current copy, or
    the list's body kept from an earlier request at the same tag. The API's exception handler
    sends `response` as it is."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response
        self.status_code = response.status_code


class ConditionalList:
    """For a list view (mixed in before DRF's view class).

    `list_versions()` names the (program id, version) pairs the list depends on and
    `time_key()` what time changes in it (the site's date by default; a view whose rows turn
    on a deadline adds what has passed). From these the tag is known right after
    authentication: a current copy is a 304, and a body kept at the same tag (for
    `LIST_CACHE_SECONDS`, under the tag, which names the user) is sent without reading the list.
    A view whose list does not hang on programs keeps `list_versions()` None and is tagged by
    its body."""

    request: Any  # the view's
    _list_tag: str | None = None

    def list_versions(self) -> Sequence[tuple[int, int]] | None:
        return None

    def time_key(self) -> Any:
        return clock.site_today()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method not in READS:
            return
        requested_tags(request)  # a garbled header or moment is a 400 before any work
        updated_after(request)
        versions = self.list_versions()
        if not versions:
            return
        address = request.build_absolute_uri()  # a page's links name the host it was asked on
        tag = entity_tag("list", asker(request), address, self.time_key(), versions)
        self._list_tag = tag
        if still_fresh(request, tag):
            raise Answered(not_modified(tag))
        kept = answers().get(f"{LIST_CACHE_PREFIX}{tag}")
        if kept is not None:
            raise Answered(finish(Response(kept), tag))

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        answered = response.has_header("ETag")
        if request.method in READS and response.status_code == status.HTTP_200_OK and not answered:
            if self._list_tag is not None:
                tag = self._list_tag
                answers().set(f"{LIST_CACHE_PREFIX}{tag}", response.data, LIST_CACHE_SECONDS)
            else:
                address = request.build_absolute_uri()
                tag = entity_tag("body", asker(request), address, response.data)
                if still_fresh(request, tag):
                    response = Response(status=status.HTTP_304_NOT_MODIFIED)
            finish(response, tag)
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
