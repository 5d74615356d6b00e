"""The API documentation page under the portal's strict CSP, what it costs to load, and who may
load it (signed-in users: the schema and its docs are not for anonymous visitors).

The weight is measured as production serves it: static files collected by the production
storage (hashed, gzip-compressed; brotli only where the Brotli package is installed, which it
is not here) and served by servestatic, the schema gzipped by its view, everything requested
with `Accept-Encoding: gzip` as browsers do. The figures are the bytes of the bodies sent.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from servestatic import ServeStatic

from tests.support.api import assert_error, openapi_schema

DOCS = "/api/v1/docs/"
SCHEMA = "/api/v1/schema/"
BUDGET = 1_500_000  # bytes: HTML, scripts, stylesheets, icon and the schema together
PRODUCTION_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}


class Page(HTMLParser):
    """The docs page's scripts, styles and style attributes, and the URLs it loads."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.style_elements: list[dict[str, str | None]] = []
        self.style_attributes: list[str] = []
        self.loads: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "style" in attributes:
            self.style_attributes.append(tag)
        if tag == "script":
            self.scripts.append(attributes)
            if attributes.get("src"):
                self.loads.append(str(attributes["src"]))
        elif tag == "style":
            self.style_elements.append(attributes)
        elif tag == "link" and attributes.get("rel") in {"stylesheet", "icon"}:
            self.loads.append(str(attributes["href"]))


def csp_nonce(response) -> str:
    policy = response["Content-Security-Policy"]
    match = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
    assert match, policy
    return match.group(1)


@pytest.fixture
def client(world) -> Client:
    """A sponsor lead signed in by session, as a browser on the docs page is."""
    signed_in = Client()
    signed_in.force_login(world.lead_a)
    return signed_in


def test_anonymous_visitors_get_neither_schema_nor_docs():
    schema = Client().get(SCHEMA)
    docs = Client().get(DOCS)

    assert_error(schema, 401, "not_authenticated")
    assert docs.status_code == 302
    assert docs["Location"] == f"/accounts/login/?next={DOCS}"


def test_a_token_client_reads_the_schema_and_the_docs(api_as, world):
    token = api_as(world.lead_a)

    docs = token.get(DOCS)

    assert token.get(SCHEMA).status_code == 200
    assert docs.status_code == 200
    assert f"Signed in as {world.lead_a.email}" in docs.content.decode()
    assert "need sign-in" in docs.content.decode()


def test_the_served_schema_is_the_one_the_in_process_tests_generate(client: Client):
    response = client.get(SCHEMA, {"format": "json"})

    assert response.status_code == 200
    assert json.loads(response.content) == openapi_schema()


def test_the_docs_page_has_no_inline_style_and_no_script_without_the_nonce(client: Client):
    response = client.get(DOCS)
    assert response.status_code == 200
    nonce = csp_nonce(response)
    policy = response["Content-Security-Policy"]
    # The header's directives come in no fixed order: compare them by name.
    directives = dict(
        part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip()
    )
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy

    page = Page(response.content.decode())
    assert page.style_elements == []
    assert page.style_attributes == []
    assert page.scripts
    assert all(script.get("nonce") == nonce for script in page.scripts)
    assert all(script.get("src") for script in page.scripts)


@pytest.fixture(scope="module")
def production_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static files as the production image collects them."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


def served_by_servestatic(root: Path, url: str) -> tuple[bytes, str]:
    """A static file through servestatic, as portal/wsgi.py serves it in production."""
    app = ServeStatic(lambda environ, start: [], root=str(root), prefix=settings.STATIC_URL)
    environ: dict[str, object] = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    headers: dict[str, str] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):
        assert status.startswith("200"), (url, status)
        headers.update((name.lower(), value) for name, value in response_headers)

    body = b"".join(app(environ, start_response))
    return body, headers.get("content-encoding", "identity")


def test_what_the_docs_page_loads_weighs_under_1_5_mb_gzipped(
    client: Client, settings, production_static: Path
):
    settings.STATIC_ROOT = production_static
    settings.STORAGES = PRODUCTION_STORAGES
    gzip = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
    html = client.get(DOCS, **gzip)
    sizes = {DOCS: len(html.content)}
    for url in Page(html.content.decode()).loads:
        if url.startswith(settings.STATIC_URL):
            body, encoding = served_by_servestatic(production_static, url)
            if url.endswith((".js", ".css")):
                # Brotli where the image has it (fonttools pulls it in for WeasyPrint), else gzip.
                assert encoding in ("br", "gzip"), url
        else:
            response = client.get(url, **gzip)
            assert response.status_code == 200, url
            body = response.content
            schema = re.search(r'url: "([^"]+)"', body.decode())
            if schema:
                # Swagger UI then fetches the schema, asking for JSON.
                fetched = client.get(schema.group(1), HTTP_ACCEPT="application/json,*/*", **gzip)
                assert fetched["Content-Encoding"] == "gzip"
                sizes[schema.group(1)] = len(fetched.content)
        sizes[url] = len(body)

    assert any("swagger-ui-bundle" in url for url in sizes)
    assert not any("standalone-preset" in url for url in sizes)
    assert sum(sizes.values()) < BUDGET, sizes
