"""Permission rows of webhooks: a sponsor lead's own organisation's endpoints, pages and API.
Everyone else who is signed in is refused (403) at the collection; another organisation's
endpoint, or any endpoint for someone who cannot manage webhooks, is not found."""

from tests.support.permissions import LOGIN, Row, statuses

LEAD_ONLY = statuses(LOGIN, 200, 403, 200, 403, 403, 403, 403)
OWN_LEAD_PAGE = statuses(LOGIN, 200, 404, 404, 404, 404, 404, 404)
OWN_LEAD_BUTTON = statuses(LOGIN, 302, 404, 404, 404, 404, 404, 404)
BAD_URL = {"url": "http://127.0.0.1/hooks", "event_kinds": "deviation"}


def _api(lead_a: int) -> dict:
    return statuses(401, lead_a, 403, 404, 403, 403, 403, 403)


ROWS = [
    # Postmark's inbound webhook answers only its basic-auth secret; without one set (as here)
    # replies by email are off and the URL is not found, for everyone.
    Row(
        "inbound-email-postmark",
        statuses(404, 404, 404, 404, 404, 404, 404, 404),
        method="post",
        data={},
        public=True,
    ),
    Row("webhook-list", LEAD_ONLY),
    # Leadership's read-only overview across sponsors; sponsors do not find it.
    Row("webhook-overview", statuses(LOGIN, 404, 404, 404, 403, 403, 200, 404)),
    Row(
        "webhook-list",
        statuses(LOGIN, 422, 403, 422, 403, 403, 403, 403),
        method="post",
        data=BAD_URL,
        label="loopback over http",
    ),
    Row("webhook-detail", OWN_LEAD_PAGE, kwargs={"pk": "{webhook}"}),
    Row(
        "webhook-detail",
        statuses(LOGIN, 422, 404, 404, 404, 404, 404, 404),
        kwargs={"pk": "{webhook}"},
        method="post",
        data={"url": "", "event_kinds": "deviation"},
        label="no URL",
    ),
    Row("webhook-rotate", OWN_LEAD_PAGE, kwargs={"pk": "{webhook}"}, method="post", data={}),
    Row("webhook-pause", OWN_LEAD_BUTTON, kwargs={"pk": "{webhook}"}, method="post", data={}),
    Row("webhook-resume", OWN_LEAD_BUTTON, kwargs={"pk": "{webhook}"}, method="post", data={}),
    Row("webhook-delete", OWN_LEAD_BUTTON, kwargs={"pk": "{webhook}"}, method="post", data={}),
    Row(
        "webhook-replay",
        OWN_LEAD_BUTTON,
        kwargs={"pk": "{webhook}", "delivery": "{delivery}"},
        method="post",
        data={},
    ),
    Row("api-webhooks", statuses(401, 200, 403, 200, 403, 403, 403, 403)),
    Row(
        "api-webhooks",
        statuses(401, 400, 403, 400, 403, 403, 403, 403),
        method="post",
        data={"url": "https://10.0.0.5/hooks", "event_kinds": ["deviation"]},
        label="private address",
    ),
    Row("api-webhook", _api(200), kwargs={"id": "{webhook}"}),
    Row(
        "api-webhook",
        _api(400),
        kwargs={"id": "{webhook}"},
        method="post",
        data={"url": "https://93.184.215.14/hooks", "event_kinds": []},
        label="no event kinds",
    ),
    Row("api-webhook-rotate", _api(200), kwargs={"id": "{webhook}"}, method="post", data={}),
    Row("api-webhook-pause", _api(200), kwargs={"id": "{webhook}"}, method="post", data={}),
    Row(
        "api-webhook-resume",
        _api(409),
        kwargs={"id": "{webhook}"},
        method="post",
        data={},
        label="not paused",
    ),
    Row("api-webhook-delete", _api(204), kwargs={"id": "{webhook}"}, method="post", data={}),
    Row("api-webhook-deliveries", _api(200), kwargs={"id": "{webhook}"}),
    Row(
        "api-webhook-replay",
        _api(202),
        kwargs={"id": "{webhook}", "delivery_id": "{delivery}"},
        method="post",
        data={},
    ),
]
