"""The permission harness: one declaration per URL of what each persona gets, and one test that
runs every declaration for every persona (DESIGN §7).

A `Row` names a URL by its URL name, says how to build its arguments from the scene (the
world and sponsor A's objects), which method and body to send, and the outcome per persona.
`check()` sends the request and holds the answer to the product's rules on top of the status:

- a refused or invalid write changes nothing in the database;
- a page answers anonymous users with a redirect to the sign-in page;
- an API refusal is JSON in the one error shape;
- no page or payload shows a sponsor another sponsor's data, nor an internal item; the
  superuser without membership sees no program data at all.

The coverage scan (`tests/test_url_coverage.py`) fails for any URL pattern or OpenAPI operation
without a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.support.api import ERROR_KEYS, Auth, openapi_schema, post_json, token_client
from tests.support.world import PERSONAS, World

HARNESS_PERSONAS = [*PERSONAS, "admin"]
"""The eight personas of DESIGN §7 and the superuser without membership, in table order."""

PROJECT_APPS = (
    "portal",
    "programs",
    "governance",
    "deviations",
    "comms",
    "integrations",
    "people",
)
# Columns that a refused request may still move: signing in stamps the user, and a token that
# authenticates is stamped even when the action it asks for is refused.
VOLATILE = {
    ("portal", "user", "last_login"),
    ("portal", "apitoken", "last_used_at"),
    ("portal", "apitoken", "last_used_from"),
}

SPONSOR_A_MARKS = ("HLX-101", "Helix")
SPONSOR_B_MARKS = ("BOR-017", "Borealis")
INTERNAL_MARK = "Quillon"
"""Every internal item of the scene carries this word; no sponsor ever reads it."""


@dataclass(frozen=True)
class ToLogin:
    """An anonymous visitor sent to the sign-in page."""

    status: int = 302

    def __repr__(self) -> str:
        return "LOGIN"


LOGIN = ToLogin()
Outcome = int | ToLogin
Expect = Mapping[str, Outcome]


def statuses(
    anonymous: Outcome,
    lead_a: Outcome,
    viewer_a: Outcome,
    lead_b: Outcome,
    staff: Outcome,
    pm: Outcome,
    leader: Outcome,
    admin: Outcome,
    *,
    qa: Outcome | None = None,
) -> dict[str, Outcome]:
    """The outcome for each persona, in the order of `HARNESS_PERSONAS`. QA is CDMO staff
    too: it gets what operations staff get unless the row says otherwise (QA's own steps)."""
    outcomes = (anonymous, lead_a, viewer_a, lead_b, staff, staff if qa is None else qa)
    outcomes += (pm, leader, admin)
    return dict(zip(HARNESS_PERSONAS, outcomes, strict=True))


Template = str | int | bool | None
Data = Mapping[str, Template] | Callable[["Scene"], Mapping[str, Any]] | None


@dataclass(frozen=True)
class Row:
    """What every persona gets from one request to one URL.

    `kwargs`, `query` and string values of `data` are templates over the scene's names:
    `"{ms}"` stands for the milestone's primary key; a value that is exactly one placeholder
    keeps the named value's type (an integer stays an integer in a JSON body).
    """

    url_name: str
    expect: Expect
    kwargs: Mapping[str, Template] = field(default_factory=dict)
    method: Literal["get", "post"] = "get"
    query: str = ""
    data: Data = None
    htmx: bool = False
    public: bool = False  # not data of anyone's: the leak check does not apply
    label: str = ""

    @property
    def is_api(self) -> bool:
        return self.url_name.startswith("api-")

    def __str__(self) -> str:
        query = f"?{self.query}" if self.query else ""
        label = f" [{self.label}]" if self.label else ""
        return f"{self.method.upper()} {self.url_name}{query}{label}"


@dataclass
class Scene:
    """The world, sponsor A's objects (and a few of sponsor B's), and a signed-in session and
    an API token per persona, built once per module."""

    world: World
    names: dict[str, Any]
    sessions: dict[str, str]
    tokens: dict[str, str]
    state: list[tuple[str, list[tuple[Any, ...]]]] = field(default_factory=list)
    """`database_state()` as built: every test starts from it (its changes are rolled back)."""

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            if value.startswith("{") and value.endswith("}") and value[1:-1] in self.names:
                return self.names[value[1:-1]]
            return value.format(**self.names)
        return value

    def url(self, row: Row) -> str:
        path = reverse(row.url_name, kwargs={k: self.fill(v) for k, v in row.kwargs.items()})
        return f"{path}?{self.fill(row.query)}" if row.query else path

    def body(self, row: Row) -> dict[str, Any] | None:
        if row.data is None:
            return None
        if callable(row.data):
            return dict(row.data(self))
        return {key: self.fill(value) for key, value in row.data.items()}

    def client(self, persona: str, auth: Auth) -> Client:
        if auth == "token":
            return token_client(self.tokens.get(persona))
        client = Client()
        if persona in self.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client


@dataclass(frozen=True)
class Case:
    row: Row
    persona: str
    auth: Auth

    @property
    def expected(self) -> Outcome:
        return self.row.expect[self.persona]

    def __str__(self) -> str:
        return f"{self.row} as {self.persona}" + (" by token" if self.auth == "token" else "")


def cases(rows: Iterable[Row]) -> list[Case]:
    """Every row for every persona; API rows both by session and by token (anonymous once:
    without credentials the two are the same request)."""
    found = []
    for row in rows:
        missing = set(HARNESS_PERSONAS) - set(row.expect)
        assert not missing, f"{row} has no outcome for {sorted(missing)}"
        for persona in HARNESS_PERSONAS:
            found.append(Case(row, persona, "session"))
            if row.is_api and persona != "anonymous":
                found.append(Case(row, persona, "token"))
    return found


def database_state() -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of the project's tables, less the volatile columns: what a refused write
    must leave exactly as it found it."""
    state = []
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in PROJECT_APPS or meta.proxy:
            continue
        columns = [
            f.attname
            for f in meta.concrete_fields
            if (meta.app_label, meta.model_name, f.attname) not in VOLATILE
        ]
        rows = model._base_manager.order_by("pk").values_list(*columns)
        state.append((meta.label, list(rows)))
    return state


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# Writes that a refused request may make: its session, and the stamp of a token that
# authenticated (the columns left out of `database_state`).
_QUIET = re.compile(r'^\s*UPDATE\s+"portal_apitoken"\s+SET\s+"last_used_at"\s*=\s*[^,]*\s+WHERE')


def writes(queries: Iterable[Mapping[str, Any]]) -> list[str]:
    """The statements among `queries` that may have changed a project table."""
    found = []
    for query in queries:
        sql = query["sql"]
        match = _WRITE.match(sql)
        if match and match.group(1) != "django_session" and not _QUIET.match(sql):
            found.append(sql)
    return found


def _content(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _forbidden_marks(persona: str) -> tuple[str, ...]:
    if persona in ("lead_a", "viewer_a"):
        return (*SPONSOR_B_MARKS, INTERNAL_MARK)
    if persona == "lead_b":
        return (*SPONSOR_A_MARKS, INTERNAL_MARK)
    if persona == "admin":
        return (*SPONSOR_A_MARKS, *SPONSOR_B_MARKS, INTERNAL_MARK)
    return ()


def check(scene: Scene, case: Case) -> None:
    """Send the case's request and hold the answer to the row and to the product's rules."""
    row, persona = case.row, case.persona
    url = scene.url(row)
    client = scene.client(persona, case.auth)
    headers = {"HX-Request": "true"} if row.htmx else {}
    body = scene.body(row)

    with CaptureQueriesContext(connection) as queries:
        if row.method == "get":
            response = client.get(url, headers=headers)
        elif row.is_api:
            response = post_json(client, url, body or {})
        else:
            response = client.post(url, body or {}, headers=headers)

    expected = case.expected
    status = expected.status if isinstance(expected, ToLogin) else expected
    shown = _content(response)
    assert response.status_code == status, f"{case}: {response.status_code} {shown[:300]}"
    if isinstance(expected, ToLogin):
        assert response["Location"].startswith(reverse("login")), response["Location"]
    refused = response.status_code >= 400 or isinstance(expected, ToLogin)
    # A refused write changes nothing. Only when the request wrote (and maybe rolled back) is
    # the whole database compared with the scene as built.
    if row.method != "get" and refused and writes(queries.captured_queries):
        assert database_state() == scene.state, f"{case} was refused but changed the database"
    if row.is_api and response.status_code >= 400:
        payload = response.json()
        assert set(payload) == {"error"}, payload
        assert set(payload["error"]) == ERROR_KEYS, payload
    if response.status_code == 200 and not row.public:
        leaked = [mark for mark in _forbidden_marks(persona) if mark in shown]
        assert not leaked, f"{case} shows {leaked}"


# --- Coverage ------------------------------------------------------------------------------

# The admin site is Django's own, guarded by `is_staff` and tested in tests/portal/test_admin.py;
# static and media files are served outside the URL resolver (servestatic) and hold no one's
# data. Neither belongs to the portal's permission model.
EXCLUDED_PREFIXES = ("admin/",)


def url_patterns(*, everything: bool = False) -> Iterator[tuple[str, str]]:
    """(route, URL name) of every pattern the resolver serves, the included ones flattened and
    their names namespaced; the excluded prefixes left out unless `everything`."""

    def walk(patterns: Iterable[Any], prefix: str, space: str) -> Iterator[tuple[str, str]]:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{space}{entry.namespace}:" if entry.namespace else space
                yield from walk(entry.url_patterns, route, inner)
            elif isinstance(entry, URLPattern):
                yield route, f"{space}{entry.name}" if entry.name else ""

    for route, name in walk(get_resolver().url_patterns, "", ""):
        if everything or not route.startswith(EXCLUDED_PREFIXES):
            yield route, name


def openapi_operations() -> list[tuple[str, str, str]]:
    """(method, path, URL name) of every operation in the generated OpenAPI schema."""
    schema = openapi_schema()
    found = []
    for path, item in schema["paths"].items():
        # Every path parameter (a code, a reference, a number) resolves as "1".
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        url_name = resolve(concrete).url_name or ""
        found.extend((method, path, url_name) for method in item)
    return found


def covered(rows: Iterable[Row]) -> set[tuple[str, str]]:
    """(URL name, method) pairs that have a row."""
    return {(row.url_name, row.method) for row in rows}


# --- Outcomes that many rows share ---------------------------------------------------------
# Pages of sponsor A's program: its sponsor and the CDMO see them; sponsor B and the superuser
# (no membership) cannot find them.
SEES = statuses(LOGIN, 200, 200, 404, 200, 200, 200, 404)
# Pages for the program's CDMO team only (a sponsor sees the program, so it is a 403).
TEAM_PAGE = statuses(LOGIN, 403, 403, 404, 403, 200, 200, 404)
# Forms the program's CDMO team posts, answered with a redirect on success.
TEAM_WRITE = statuses(LOGIN, 403, 403, 404, 403, 302, 302, 404)
# Pages open to every signed-in user, whoever they are.
SIGNED_IN = statuses(LOGIN, 200, 200, 200, 200, 200, 200, 200)
EVERYONE = statuses(200, 200, 200, 200, 200, 200, 200, 200)

# The API: no credentials is a 401 instead of a redirect.
API_SEES = statuses(401, 200, 200, 404, 200, 200, 200, 404)
API_TEAM_CREATES = statuses(401, 403, 403, 404, 403, 201, 201, 404)
API_TEAM_CHANGES = statuses(401, 403, 403, 404, 403, 200, 200, 404)
