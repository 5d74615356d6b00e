"""Delivering an update's notifications: the right people, once."""

from comms.models import Notification, Update
from comms.services.updates import update_notifications_deliver, update_post
from comms.tasks import sweep_pending_notifications


def _post(world, **fields):
    return update_post(
        actor=world.pm, program=world.program, title="Release", body="Released.", **fields
    )


def test_every_active_sponsor_user_of_the_program_is_notified_once(world):
    update = _post(world)

    assert update_notifications_deliver(update_id=update.pk) == 2
    assert update_notifications_deliver(update_id=update.pk) == 0

    recipients = set(Notification.objects.values_list("recipient__email", flat=True))
    assert recipients == {world.lead_a.email, world.viewer_a.email}
    update.refresh_from_db()
    assert update.notified_at is not None


def test_internal_updates_notify_nobody(world):
    update = _post(world, audience="internal")
    assert update_notifications_deliver(update_id=update.pk) == 0
    assert not Notification.objects.exists()


def test_the_sweep_delivers_what_a_lost_enqueue_left_behind(world):
    update = _post(world)
    Update.objects.filter(pk=update.pk).update(
        published_at=update.published_at.replace(year=update.published_at.year - 1)
    )
    assert sweep_pending_notifications() == 2
    assert sweep_pending_notifications() == 0
