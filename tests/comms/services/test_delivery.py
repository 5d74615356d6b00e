"""Delivering an update's notifications: the right people, once, from its event."""

from comms.models import Notification
from comms.services.notifications import events_fan_out, notifications_sweep
from comms.services.updates import update_post
from programs.models import Event


def _post(world, **fields):
    return update_post(
        actor=world.pm, program=world.program, title="Release", body="Released.", **fields
    )


def _fan_out() -> int:
    return events_fan_out(event_ids=Event.objects.values_list("pk", flat=True))


def test_every_active_sponsor_user_of_the_program_is_notified_once(world):
    update = _post(world)

    assert _fan_out() > 0
    assert _fan_out() == 0

    told = Notification.objects.filter(update=update, channel=Notification.Channel.IN_APP)
    recipients = set(told.values_list("recipient__email", flat=True))
    assert recipients == {world.lead_a.email, world.viewer_a.email}
    assert told.count() == 2


def test_internal_updates_notify_no_sponsor(world):
    _post(world, audience="internal")
    _fan_out()
    assert not Notification.objects.filter(recipient__membership__organisation=world.sponsor_a)


def test_the_sweep_delivers_what_a_lost_enqueue_left_behind(world, settings):
    settings.OUTBOX_GRACE_SECONDS = 0
    update = _post(world)

    fanned, _ = notifications_sweep()
    again, _ = notifications_sweep()

    assert fanned > 0
    assert again == 0
    assert Notification.objects.filter(update=update, recipient=world.lead_a).exists()
