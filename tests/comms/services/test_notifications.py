"""Fan-out from the activity stream, email delivery through a real SMTP server, digests in
two time zones, preferences and the one-click unsubscribe."""

from __future__ import annotations

import datetime
from smtplib import SMTPRecipientsRefused
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from comms.emails import unsubscribe_token
from comms.models import Digest, DigestSchedule, Notification, NotificationPreference, Timing
from comms.services import digests, notifications
from comms.services.conversations import question_answer
from comms.services.updates import update_post
from deviations.services.reporting import deviation_acknowledge
from programs.models import Event
from tests.comms.conversation_data import ask, note
from tests.deviations.conftest import log_deviation
from tests.support.smtp import smtp_server, smtp_settings

pytestmark = pytest.mark.django_db

EMAIL = Notification.Channel.EMAIL
IN_APP = Notification.Channel.IN_APP


@pytest.fixture
def smtp(settings):
    with smtp_server() as (mailbox, port):
        for name, value in smtp_settings(port).items():
            setattr(settings, name, value)
        yield mailbox


def shared_update(world, *, title: str = "Fill line qualified", significance: str = "info"):
    """An update posted through its service, so that it writes its event."""
    return update_post(
        actor=world.pm,
        program=world.program,
        title=title,
        body="Details.",
        significance=significance,
    )


def fan_out_all() -> int:
    return notifications.events_fan_out(
        event_ids=Event.objects.filter(fanned_out_at__isnull=True).values_list("pk", flat=True)
    )


def told(event: Event, channel: str = IN_APP) -> set[str]:
    return set(
        Notification.objects.filter(event=event, channel=channel).values_list(
            "recipient__email", flat=True
        )
    )


def test_a_sponsor_question_reaches_the_pm_and_not_the_asker(world):
    update = shared_update(world)
    fan_out_all()
    ask(world, update, asker=world.lead_a)

    fan_out_all()

    event = Event.objects.get(verb="question.asked")
    assert told(event) == {world.pm.email}


def test_an_answer_reaches_the_asker(world):
    update = shared_update(world)
    question = ask(world, update, asker=world.lead_a)
    question_answer(actor=world.pm, question=question, body="Week 12.")

    fan_out_all()

    event = Event.objects.get(verb="question.answered")
    assert told(event, EMAIL) == {world.lead_a.email}
    # In the inbox once: the answer's own notification already stands for the event.
    answered = Notification.objects.filter(
        recipient=world.lead_a, channel=IN_APP, comment__isnull=False
    )
    assert answered.count() == 1


def test_an_acknowledgement_reaches_qa_and_the_pm(world):
    deviation = log_deviation(world)
    fan_out_all()
    deviation_acknowledge(actor=world.lead_a, deviation=deviation)

    fan_out_all()

    assert told(Event.objects.get(verb="deviation.acknowledged")) == {
        world.qa.email,
        world.pm.email,
    }


def test_a_sponsor_never_hears_of_an_internal_event(world):
    update = shared_update(world)
    note(world, update, body="Resin lot 2 is late; do not tell the sponsor yet.", author=world.pm)
    critical = Event.objects.create(
        program=world.program,
        kind=Event.Kind.DEVIATION,
        verb="deviation.logged",
        summary="Internal critical",
        significance="critical",
        audience="internal",
        actor=world.staff,
    )

    fan_out_all()

    sponsors = {world.lead_a.email, world.viewer_a.email, world.lead_b.email}
    assert not Notification.objects.filter(
        event__audience="internal", recipient__email__in=sponsors
    ).exists()
    assert world.pm.email in told(critical)
    assert not told(critical) & sponsors


def test_another_sponsor_never_hears_and_the_actor_is_not_told(world):
    shared_update(world, significance="critical")

    fan_out_all()

    event = Event.objects.get(verb="update.posted")
    assert told(event) == {world.lead_a.email, world.viewer_a.email}


def test_a_second_fan_out_writes_nothing(world):
    shared_update(world)
    first = fan_out_all()
    event = Event.objects.get(verb="update.posted")

    again = notifications.event_fan_out(event_id=event.pk)

    assert first > 0
    assert again == 0
    assert Notification.objects.filter(event=event).count() == first


def test_an_email_goes_out_once_through_a_real_smtp_server(world, smtp):
    shared_update(world, title="Batch 24-017 released", significance="notable")
    fan_out_all()
    row = Notification.objects.get(channel=EMAIL, recipient=world.lead_a)
    assert row.timing == Timing.IMMEDIATELY

    sent = notifications.notification_emails_deliver(notification_ids=[row.pk])
    again = notifications.notification_emails_deliver(notification_ids=[row.pk])

    assert (sent, again) == (1, 0)
    to_lead = [m for m in smtp.messages if m["To"] == world.lead_a.email]
    assert len(to_lead) == 1
    message = to_lead[0]
    assert "HLX-101" in message["Subject"]
    assert "Batch 24-017 released" in message["Subject"]
    assert message["Message-ID"] == f"<{row.key}@northbridge.example>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "http://127.0.0.1:8000/programs/HLX-101/" in text
    assert 'href="http://127.0.0.1:8000/programs/HLX-101/' in html
    assert "<style" not in html
    assert 'style="' in html  # CSS inlined
    assert "List-Unsubscribe" not in message  # only digests carry it
    row.refresh_from_db()
    assert row.sent_at is not None
    assert row.attempts == 1


def test_a_failed_send_releases_the_row_for_a_retry(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    shared_update(world, significance="notable")
    fan_out_all()
    row = Notification.objects.filter(channel=EMAIL).first()

    with pytest.raises(ConnectionRefusedError):
        notifications.notification_emails_deliver(notification_ids=[row.pk])

    row.refresh_from_db()
    assert row.sent_at is None
    assert row.claimed_at is None
    assert row.attempts == 1
    assert row.last_error


def test_critical_is_immediate_whatever_the_preference(world):
    NotificationPreference.objects.create(user=world.lead_a, kind="update", timing=Timing.OFF)
    NotificationPreference.objects.create(user=world.viewer_a, kind="update", timing=Timing.OFF)
    shared_update(world, significance="info")
    shared_update(world, significance="critical", title="Critical one")

    fan_out_all()

    emails = Notification.objects.filter(channel=EMAIL, recipient=world.lead_a)
    assert [row.significance for row in emails] == ["critical"]
    assert Notification.objects.filter(channel=IN_APP, recipient=world.lead_a).count() == 2


def test_the_digest_moment_is_the_persons_hour_in_their_time_zone():
    now = datetime.datetime(2026, 3, 30, 6, 30, tzinfo=datetime.UTC)  # Monday
    london = digests.digest_moment(now, time_zone="Europe/London", hour=8)
    tokyo = digests.digest_moment(now, time_zone="Asia/Tokyo", hour=8)
    weekly = digests.digest_moment(now, time_zone="Asia/Tokyo", hour=8, weekday=4)

    assert london == datetime.datetime(2026, 3, 29, 8, tzinfo=ZoneInfo("Europe/London"))
    assert tokyo == datetime.datetime(2026, 3, 30, 8, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert weekly == datetime.datetime(2026, 3, 27, 8, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_digests_go_out_at_each_persons_hour_in_two_time_zones(world, smtp):
    world.lead_a.time_zone = "Asia/Tokyo"
    world.lead_a.save()
    world.viewer_a.time_zone = "America/New_York"
    world.viewer_a.save()
    for user in (world.lead_a, world.viewer_a):
        DigestSchedule.objects.create(user=user, hour=8)
        NotificationPreference.objects.create(user=user, kind="update", timing=Timing.DAILY)
    with time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC), tick=False):
        shared_update(world, title="Fill line qualified")
        shared_update(world, title="Stability pull on time")
        fan_out_all()
        assert digests.digests_send() == 0  # nobody's 08:00 has come since

    # 08:00 in Tokyo is 23:00 UTC; New York's is 12:00 UTC the next day.
    with time_machine.travel(datetime.datetime(2026, 6, 1, 23, 5, tzinfo=datetime.UTC)):
        assert digests.digests_send() == 1
        assert digests.digests_send() == 0
    assert [m["To"] for m in smtp.messages] == [world.lead_a.email]
    with time_machine.travel(datetime.datetime(2026, 6, 2, 12, 5, tzinfo=datetime.UTC)):
        assert digests.digests_send() == 1
    assert [m["To"] for m in smtp.messages] == [world.lead_a.email, world.viewer_a.email]

    message = smtp.messages[0]
    assert "2 notifications" in message["Subject"]
    assert "HLX-101" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message["List-Unsubscribe"]
        .strip()
        .startswith("<http://127.0.0.1:8000/notifications/unsubscribe/")
    )
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Fill line qualified" in text
    assert "Stability pull on time" in text
    assert Digest.objects.filter(sent_at__isnull=False).count() == 2
    assert not Notification.objects.filter(channel=EMAIL, sent_at__isnull=True).exists()


def test_the_one_click_unsubscribe_needs_no_login_and_stops_digests(world):
    NotificationPreference.objects.create(user=world.lead_a, kind="update", timing=Timing.DAILY)
    shared_update(world)
    fan_out_all()
    token = unsubscribe_token(world.lead_a)

    response = Client(enforce_csrf_checks=True).post(
        f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert DigestSchedule.objects.get(user=world.lead_a).enabled is False
    assert not Notification.objects.filter(recipient=world.lead_a, channel=EMAIL).exists()
    shared_update(world, title="Later")
    fan_out_all()
    assert not Notification.objects.filter(recipient=world.lead_a, channel=EMAIL).exists()


def test_a_forged_unsubscribe_token_changes_nothing(world):
    token = unsubscribe_token(world.lead_a)[:-2] + "xx"

    response = Client().post(f"/notifications/unsubscribe/{token}/")

    assert response.status_code == 404
    assert not DigestSchedule.objects.exists()


def test_preferences_page_saves_and_rejects_a_bad_hour(world):
    client = Client()
    client.force_login(world.lead_a)
    data = {"hour": "7", "weekday": "4", "digests_enabled": "on", "kind_deviation": "weekly"}

    assert client.post("/notifications/preferences/", data).status_code == 302
    bad = client.post("/notifications/preferences/", {**data, "hour": "25", "weekday": "1"})

    assert bad.status_code == 422
    assert "hour" in bad.context["form"].errors
    schedule = DigestSchedule.objects.get(user=world.lead_a)
    assert (schedule.hour, schedule.weekday) == (7, 4)
    assert NotificationPreference.objects.get(user=world.lead_a).timing == "weekly"


def test_the_api_shows_only_your_own_and_marks_read(world):
    shared_update(world)
    fan_out_all()
    client = Client()
    client.force_login(world.viewer_a)
    mine = client.get("/api/v1/notifications/?unread=true").json()["results"]
    others = Notification.objects.filter(recipient=world.lead_a, channel=IN_APP).first()

    response = client.post(f"/api/v1/notifications/{others.pk}/read/")
    marked = client.post(f"/api/v1/notifications/{mine[0]['id']}/read/")

    assert response.status_code == 404
    assert marked.status_code == 200
    assert marked.json()["read_at"]
    assert {row["program"] for row in mine} == {"HLX-101"}
    bad = client.post(
        "/api/v1/notification-preferences/",
        {
            "kinds": {"nonsense": "daily"},
            "digest_hour": 30,
            "digest_weekday": 1,
            "digests_enabled": True,
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_a_concern_reaches_leadership_and_its_answer_reaches_the_sponsor_who_raised_it(world):
    from governance.escalations.services import (
        concern_raise,
        escalation_acknowledge,
        escalation_assign,
    )

    concern = concern_raise(actor=world.lead_a, program=world.program, title="Dates moving")
    fan_out_all()
    assert told(Event.objects.get(verb="escalation.raised")) == {world.leader.email}

    escalation_acknowledge(actor=world.leader, escalation=concern)
    escalation_assign(actor=world.leader, escalation=concern, assignee=world.pm)
    fan_out_all()

    assert told(Event.objects.get(verb="escalation.acknowledged")) == {world.lead_a.email}
    assert told(Event.objects.get(verb="escalation.assigned")) == {world.pm.email}
    # Another sponsor hears nothing of it.
    assert not Notification.objects.filter(recipient=world.lead_b).exists()


def test_a_refused_address_holds_up_nobody_and_is_given_up_after_its_attempts(
    world, smtp, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    world.viewer_a.email = "refused@helix.example"
    world.viewer_a.save()
    smtp.refuse = {"refused@helix.example"}
    shared_update(world, significance="notable")
    fan_out_all()
    ids = list(Notification.objects.filter(channel=EMAIL).values_list("pk", flat=True))

    for _ in range(3):
        with pytest.raises(SMTPRecipientsRefused):
            notifications.notification_emails_deliver(notification_ids=ids)
        if Notification.objects.get(channel=EMAIL, recipient=world.viewer_a).attempts == 2:
            break
    last = notifications.notification_emails_deliver(notification_ids=ids)

    assert [m["To"] for m in smtp.messages] == [world.lead_a.email]
    refused = Notification.objects.get(channel=EMAIL, recipient=world.viewer_a)
    assert refused.sent_at is None
    assert refused.attempts == 2
    assert "SMTPRecipientsRefused" in refused.last_error
    assert last == 0
