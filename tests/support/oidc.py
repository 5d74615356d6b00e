"""A real OpenID provider for the single sign-on tests, and an HTTP client that goes through the
redirect dance as a browser would (tests/support/oidc_provider/ is the provider's project).

`start_provider` runs the provider in a second process on its own SQLite database and returns
once it listens; `SsoBrowser` starts single sign-on on the portal, signs in at the provider and
comes back to the portal's callback, stopping there when a test wants to tamper with it. The
portal's server itself fetches the provider's discovery document, exchanges the code at its token
endpoint and reads its keys and userinfo, over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_PASSWORD = "provider-pass-2026"
START_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Person:
    """Someone with an account at the provider."""

    username: str
    email: str
    verified: bool = True


@dataclass
class Provider:
    url: str
    secrets: dict[str, str]
    log: Path


def _private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@contextmanager
def start_provider(
    folder: Path, *, clients: dict[str, str], people: list[Person]
) -> Iterator[Provider]:
    """Run the provider with `clients` (client id → the portal's callback URL) and `people`
    until the block ends. Each client's secret is `<client id>-secret`."""
    secrets = {client_id: f"{client_id}-secret" for client_id in clients}
    spec = {
        "clients": [
            {"id": client_id, "secret": secrets[client_id], "redirect_uris": [callback]}
            for client_id, callback in clients.items()
        ],
        "people": [
            {
                "username": person.username,
                "password": PROVIDER_PASSWORD,
                "email": person.email,
                "verified": person.verified,
            }
            for person in people
        ],
    }
    spec_file = folder / "provider.json"
    spec_file.write_text(json.dumps(spec))
    log = folder / "provider.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="tests.support.oidc_provider.settings",
        OIDC_PROVIDER_DB=str(folder / "provider.sqlite3"),
        OIDC_PROVIDER_KEY=_private_key(),
    )
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.oidc_provider.serve", str(spec_file)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        if not port.isdigit():
            process.wait(timeout=START_TIMEOUT_SECONDS)
            raise RuntimeError(f"the test OpenID provider did not start:\n{log.read_text()}")
        yield Provider(url=f"http://127.0.0.1:{port}", secrets=secrets, log=log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def with_query(url: str, **changes: str) -> str:
    """`url` with some of its query parameters replaced."""
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class SsoBrowser:
    """One person's browser: cookies for the portal and the provider, redirects followed by
    hand so that a test can stop at the portal's callback."""

    portal: str
    provider: str
    http: requests.Session = field(default_factory=requests.Session)

    def _csrf(self, page: requests.Response) -> str:
        match = _CSRF_INPUT.search(page.text)
        assert match, f"no CSRF token on {page.url}: {page.status_code} {page.text[:300]}"
        return match.group(1)

    def start(self, email: str) -> requests.Response:
        """Type `email` on the portal's single sign-on page; the answer is not followed."""
        page = self.http.get(f"{self.portal}/accounts/sso/", timeout=20)
        return self.http.post(
            f"{self.portal}/accounts/sso/",
            data={"email": email, "csrfmiddlewaretoken": self._csrf(page)},
            allow_redirects=False,
            timeout=20,
        )

    def to_callback(self, authorize_url: str, username: str) -> str:
        """Follow the provider's redirects from `authorize_url`, signing in as `username` when
        it asks, up to the portal's callback URL (returned, not visited)."""
        url = authorize_url
        for _ in range(10):
            if url.startswith(self.portal):
                return url
            response = self.http.get(url, allow_redirects=False, timeout=20)
            if response.status_code == 200 and "/accounts/login/" in url:
                response = self.http.post(
                    url,
                    data={
                        "login": username,
                        "password": PROVIDER_PASSWORD,
                        "csrfmiddlewaretoken": self._csrf(response),
                    },
                    allow_redirects=False,
                    timeout=20,
                )
            assert response.status_code in (301, 302, 303), (
                f"{url}: {response.status_code} {response.text[:500]}"
            )
            url = urljoin(url, response.headers["Location"])
        raise AssertionError(f"the provider never sent the browser back: stopped at {url}")

    def callback_for(self, email: str, username: str) -> str:
        started = self.start(email)
        assert started.status_code == 302, started.text[:500]
        return self.to_callback(started.headers["Location"], username)

    def finish(self, callback_url: str) -> requests.Response:
        """Visit the portal's callback; the portal's answer is not followed."""
        return self.http.get(callback_url, allow_redirects=False, timeout=30)

    def sign_in(self, email: str, username: str) -> requests.Response:
        return self.finish(self.callback_for(email, username))

    def signed_in(self) -> bool:
        """Whether the portal lets this browser in (a page that needs sign-in answers 200)."""
        response = self.http.get(f"{self.portal}/programs/", allow_redirects=False, timeout=20)
        return response.status_code == 200
