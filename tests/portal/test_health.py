"""Probes for the orchestrator."""

import pytest
from django.test import Client


def test_healthz_answers_without_touching_anything():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database_and_the_broker():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_broker_is_unreachable(settings):
    from portal.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = Client().get("/readyz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_every_response_carries_the_portals_own_request_id():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="abc-12345-xyz")
    assert response.headers["X-Request-ID"] != "abc-12345-xyz"
    assert len(response.headers["X-Request-ID"]) == 32
    assert response.headers["X-Client-Request-ID"] == "abc-12345-xyz"
    refused = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id!")
    assert len(refused.headers["X-Request-ID"]) == 32
    assert "X-Client-Request-ID" not in refused.headers
