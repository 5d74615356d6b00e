"""Signing and sending one webhook request, per the Standard Webhooks specification.

Headers: `webhook-id` (the delivery's idempotency key, the same on every retry and replay),
`webhook-timestamp` (seconds since the epoch, of this attempt) and `webhook-signature`, one
`v1,<base64 HMAC-SHA256>` per valid secret, separated by spaces: during a rotation's overlap
the message is signed with the new and the previous secret, and a receiver that knows either
verifies it. The signatures come from the `standardwebhooks` package itself, the verifier
receivers use.

The request connects to the address that `targets.check` just approved (never resolving the
host again), presents the host name for TLS (SNI and certificate check) and in `Host`, has a
timeout on connecting and on reading, reads at most a short excerpt of the answer, and follows
no redirect: a 3xx is a failed attempt like any other non-2xx.
"""

from __future__ import annotations

import datetime
import http.client
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from standardwebhooks.webhooks import Webhook

from integrations.models import EXCERPT_LIMIT
from integrations.targets import Target

USER_AGENT = "CDMO-Portal-Webhooks/1"


def signature_header(
    *, secrets: Iterable[str], webhook_id: str, at: datetime.datetime, body: bytes
) -> str:
    return " ".join(
        Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body) for secret in secrets
    )


def headers(
    *, secrets: Iterable[str], webhook_id: str, at: datetime.datetime, body: bytes
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature_header(
            secrets=secrets, webhook_id=webhook_id, at=at, body=body
        ),
    }


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the approved address; the URL's host stays in `Host`."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address
        self._tls = ssl.create_default_context()

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def send(target: Target, *, body: bytes, request_headers: dict[str, str]) -> Outcome:
    """POST `body` to `target`; never raises for what the network or the receiver does."""
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    started = time.monotonic()
    try:
        connection.request("POST", target.path, body=body, headers=request_headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_LIMIT).decode("utf-8", errors="replace")
        return Outcome(
            status_code=response.status,
            latency_ms=_since(started),
            excerpt=excerpt[:EXCERPT_LIMIT].replace("\x00", "\ufffd"),
        )
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        return Outcome(status_code=None, latency_ms=_since(started), error=error)
    finally:
        connection.close()


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
