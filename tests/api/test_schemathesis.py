"""Schemathesis fuzzes every operation of our real OpenAPI schema, as a sponsor lead and as
the program's PM: never a 5xx, and every answer matches the schema (status, content type,
body); writes refuse every body the schema calls invalid. And the schema itself generates
without a warning, the served schema matches the one fuzzed here, and the docs page runs under
our CSP."""

import re
from io import StringIO

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.wsgi import application
from tests.factories import UpdateFactory
from tests.support.api import new_token, openapi_schema

# The schema view needs sign-in and pytest's collection has no database to sign in with: the
# schema is generated in-process, as the view serves it, and the requests go to the WSGI app.
schema = schemathesis.openapi.from_dict(openapi_schema())
schema.app = application
schema.location = "/api/v1/schema/"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Lists stay lenient about `page_size` (DRF falls back to the default), so the input checks
# apply to the writes: every schema-invalid body is refused. A body that carries nothing but
# its own values must moreover be accepted whenever the schema calls it valid (bodies naming
# other records can be valid to the schema and still name nothing).
WRITE_CHECKS = [*CHECKS, negative_data_rejection]
SELF_CONTAINED_WRITES = {("POST", "/api/v1/programs/{code}/updates/")}

# Real codes most of the time, so that the fuzzer gets past the 404 into the data;
# None keeps the code the fuzzer made up.
CODES = st.sampled_from(["HLX-101", "HLX-101", "BOR-017", None])


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Point most generated `{code}`s at sponsor A's or sponsor B's real program."""
    if not path_parameters or "code" not in path_parameters:
        return st.just(path_parameters)
    return CODES.map(lambda code: {**path_parameters, "code": code or path_parameters["code"]})


@pytest.fixture
def _one_connection():
    """Requests reach Django's WSGI handler directly, which closes the database connection at
    each request's start and end; inside the test's transaction that would drop the test data
    (PostgreSQL) or fail. Django's own test client unhooks the same two receivers."""
    hooks = [signals.request_started, signals.request_finished]
    for signal in hooks:
        signal.disconnect(close_old_connections)
    yield
    for signal in hooks:
        signal.connect(close_old_connections)


@pytest.fixture
def authorization(world, persona, _one_connection):
    """Sponsor A's data with something in it, and the persona's token header."""
    UpdateFactory(program=world.program, title="Shared", author=world.pm)
    UpdateFactory(program=world.program, title="Draft", audience="internal", published_at=None)
    return {"Authorization": f"Token {new_token(getattr(world, persona))}"}


@schema.parametrize()
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_the_api_never_fails_and_matches_its_schema(case, persona, authorization):
    checks = CHECKS
    if case.method.upper() != "GET":
        checks = WRITE_CHECKS
    if (case.method.upper(), case.path) in SELF_CONTAINED_WRITES:
        checks = [*WRITE_CHECKS, positive_data_acceptance]
    case.call_and_validate(headers=authorization, checks=checks)


def test_the_schema_generates_without_warnings():
    out = StringIO()

    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)

    assert "tokenAuth" in out.getvalue()
    assert "/api/v1/programs/{code}/status/" in out.getvalue()


def test_the_docs_page_loads_everything_from_us_and_runs_no_inline_script(client, world):
    client.force_login(world.lead_a)
    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/?script=")

    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>" not in html
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert sources
    assert all(src.startswith("/") and not src.startswith("//") for src in sources)
    assert "http" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', html))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()
