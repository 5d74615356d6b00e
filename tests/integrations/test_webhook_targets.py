"""The URL rules and the server-side request forgery guard, at registration and at send time."""

import pytest

from integrations import targets
from integrations.models import WebhookDelivery
from integrations.services import deliveries, endpoints
from portal.errors import Invalid
from tests.integrations.conftest import queue_and_get, register, sponsor_comment
from tests.integrations.receiver import receiver

PUBLIC_ONLY = "public addresses only"


def test_a_public_address_over_https_passes(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    settings.WEBHOOKS_ALLOW_HTTP = False

    target = targets.check("https://93.184.215.14:8443/in?token=1")

    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/in?token=1")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.215.14/hooks", targets.NOT_HTTPS),
        ("ftp://93.184.215.14/hooks", targets.NOT_A_URL),
        ("hooks.example.com", targets.NOT_A_URL),
        ("https://user:pw@93.184.215.14/hooks", targets.NO_CREDENTIALS),
        ("https://93.184.215.14:99999/hooks", targets.BAD_PORT),
        ("https://no-such-host.invalid/hooks", "does not resolve"),
        ("https://127.0.0.1/hooks", PUBLIC_ONLY),
        ("https://localhost:8443/hooks", PUBLIC_ONLY),
        ("https://[::1]/hooks", PUBLIC_ONLY),
        ("https://10.1.2.3/hooks", PUBLIC_ONLY),
        ("https://192.168.0.10/hooks", PUBLIC_ONLY),
        ("https://172.16.5.4/hooks", PUBLIC_ONLY),
        ("https://169.254.169.254/latest/meta-data/", PUBLIC_ONLY),
        ("https://[fe80::1]/hooks", PUBLIC_ONLY),
        ("https://[::ffff:127.0.0.1]/hooks", PUBLIC_ONLY),
        ("https://0.0.0.0/hooks", PUBLIC_ONLY),
        ("https://240.0.0.1/hooks", PUBLIC_ONLY),
        ("https://224.0.0.1/hooks", PUBLIC_ONLY),
    ],
)
def test_bad_urls_and_non_public_addresses_are_refused_naming_the_field(settings, url, message):
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(Invalid) as refused:
        targets.check(url)

    assert refused.value.field == "url"
    assert message in refused.value.message


def test_plain_http_and_private_addresses_pass_when_the_settings_allow_them(settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE = True

    assert targets.check("http://127.0.0.1:8080/hooks").address == "127.0.0.1"


def test_production_settings_refuse_http_and_private_addresses_by_default():
    """The defaults without DEBUG (pytest runs with DEBUG off)."""
    from django.conf import settings

    assert settings.WEBHOOKS_ALLOW_HTTP is False
    assert settings.WEBHOOKS_ALLOW_PRIVATE is False


@pytest.mark.django_db
def test_registering_a_private_address_changes_nothing(world, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(Invalid):
        endpoints.webhook_endpoint_create(
            actor=world.lead_a, url="https://10.0.0.8/hooks", event_kinds=["comment"]
        )

    assert not world.sponsor_a.webhook_endpoints.exists()


@pytest.mark.django_db
def test_the_rule_is_checked_again_at_send_time(world, local_hooks):
    """Registered while allowed (or while the name resolved elsewhere): at send time the
    address is checked again and nothing is sent to it."""
    with receiver() as hook:
        register(world, hook.url)
        delivery_id = queue_and_get(sponsor_comment(world)[1])
        local_hooks.WEBHOOKS_ALLOW_PRIVATE = False

        assert deliveries.webhook_delivery_send(delivery_id=delivery_id) is False

    assert hook.requests == []
    attempt = WebhookDelivery.objects.get(pk=delivery_id).attempts.get()
    assert "public addresses only" in attempt.error
    assert attempt.status_code is None
