"""The permission harness's scene: the persona world and one of each of sponsor A's objects
that a URL can address, plus what sponsor B holds that sponsor A must never find.

Every internal item carries `INTERNAL_MARK`, every record of sponsor B its program code or
name, so that the harness can tell a leak from any page.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.test import Client
from django.utils import timezone

from comms.emails import unsubscribe_token
from comms.models import Notification
from deviations.services.capa import capa_add
from deviations.services.reporting import deviation_log
from governance.escalations.services import concern_raise, issue_raise
from governance.models import CadenceSchedule
from governance.services.feeds import calendar_feed_rotate
from integrations.services.deliveries import webhook_deliveries_queue
from integrations.services.endpoints import webhook_endpoint_create
from outcomes.periods import PeriodKind, current
from people.services.invitations import invitation_create
from portal.holidays import site_holiday_add
from portal.services import api_token_create, delegation_create
from programs.models import CostLine
from programs.services.batches import batch_create, batch_decide
from tests.comms.conversation_data import ask, draft_update, note, shared_update
from tests.deviations.conftest import log_deviation
from tests.factories import PASSWORD
from tests.governance.builders import action_item, meeting, past_meeting, risk
from tests.outcomes.builders import built_job, waiting_job
from tests.programs.builders import change_order, milestone, workstream
from tests.support.api import new_token
from tests.support.permissions import HARNESS_PERSONAS, INTERNAL_MARK, Scene, database_state
from tests.support.world import build_world, person


def build_scene() -> Scene:
    world = build_world(with_superuser=True)
    program = world.program
    now = timezone.now()
    today = timezone.localdate()

    update = shared_update(world, title="Fill line qualified", audience="sponsor")
    draft = draft_update(world, title=f"{INTERNAL_MARK} draft")
    question = ask(world, update, body="Open question")
    internal_note = note(world, update, body=f"{INTERNAL_MARK} note")
    notification = Notification.objects.create(
        recipient=world.lead_a, channel="in_app", update=update, subject="S", url="/programs/"
    )
    lims, _ = api_token_create(actor=world.lead_a, user=world.lead_a, name="LIMS")
    # Not in force yet, so that the viewer decides no change order in the matrix.
    away = delegation_create(
        actor=world.lead_a,
        delegate=world.viewer_a,
        starts_on=today + datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=40),
    )
    feed = calendar_feed_rotate(user=world.lead_a)
    webhook, _ = webhook_endpoint_create(
        actor=world.lead_a,
        url="https://93.184.215.14/hooks",
        description="QMS bridge",
        event_kinds=["update", "comment", "deviation"],
    )

    held = past_meeting(program, attendees=[world.pm, world.lead_a])
    upcoming = meeting(program, attendees=[world.pm, world.lead_a])
    meeting(world.program_b, title="Borealis call")
    cadence = CadenceSchedule.objects.create(
        program=program,
        frequency="weekly",
        weekday=2,
        local_time=datetime.time(9),
        time_zone="Europe/London",
        starts_on=today,
    )

    ws = workstream(program, "Tech transfer", cdmo_owner=world.pm)
    ms = milestone(program, "Engineering run", baseline=30, workstream=ws)
    change_order(program, world.pm, reference="CO-001")

    deviation = log_deviation(world)
    capa_add(
        actor=world.staff,
        deviation=deviation,
        kind="preventive",
        description="Existing",
        owner=world.staff,
        due_date=today + datetime.timedelta(days=14),
    )
    deviation_question = ask(world, deviation, body="Is the batch still releasable?")
    note(world, deviation, body=f"{INTERNAL_MARK} deviation note")
    other_deviation = deviation_log(
        actor=world.pm,
        program=world.program_b,
        title="Borealis titre out of range",
        description="Titre below specification.",
        classification="minor",
        occurred_at=now - datetime.timedelta(hours=3),
        aware_at=now - datetime.timedelta(hours=2),
    )

    delivery = webhook_deliveries_queue(
        event_ids=list(program.events.filter(audience="sponsor").values_list("id", flat=True))
    )[0]

    concern = concern_raise(actor=world.lead_a, program=program, title="Fill slot moved again")
    issue = issue_raise(actor=world.pm, program=program, title=f"{INTERNAL_MARK} escalation")
    concern_b = concern_raise(actor=world.lead_b, program=world.program_b, title="Borealis concern")

    invitation, invitation_token = invitation_create(
        actor=world.lead_a, organisation=world.sponsor_a, email="new@helix.example", role="viewer"
    )

    started = batch_create(
        actor=world.pm,
        program=program,
        lot_number="SCN-1",
        planned_start=today - datetime.timedelta(days=10),
        planned_release=today + datetime.timedelta(days=10),
        quantity_committed=Decimal(100),
        actual_start=today - datetime.timedelta(days=10),
    )
    released = batch_create(
        actor=world.pm,
        program=program,
        lot_number="SCN-2",
        planned_start=today - datetime.timedelta(days=30),
        planned_release=today - datetime.timedelta(days=5),
        quantity_committed=Decimal(100),
        actual_start=today - datetime.timedelta(days=30),
    )
    batch_decide(
        actor=world.qa,
        batch=released,
        decision="released",
        decided_on=today - datetime.timedelta(days=5),
        password=PASSWORD,
    )
    names = {
        "lot": started.lot_number,
        "released_lot": released.lot_number,
        "invitation": invitation.pk,
        "invitation_token": invitation_token,
        "viewer_a_membership": world.viewer_a.membership.pk,
        "concern": concern.pk,
        "concern_ref": concern.reference,
        "issue_ref": issue.reference,
        "concern_b": concern_b.pk,
        "webhook": webhook.pk,
        "delivery": delivery,
        "update": update.pk,
        "draft": draft.pk,
        "question": question.pk,
        "notification": notification.pk,
        "unsubscribe": unsubscribe_token(world.lead_a),
        "token": lims.pk,
        "delegation": away.pk,
        "feed": feed.secret,
        "held": held.pk,
        "meeting": upcoming.pk,
        "uid": upcoming.uid,
        "cadence": cadence.pk,
        "action": action_item(program, world.viewer_a, audience="sponsor").pk,
        "risk": risk(program, world.pm, audience="sponsor").pk,
        "internal_action": action_item(
            program, world.pm, title=f"{INTERNAL_MARK} action", audience="internal"
        ).pk,
        "internal_risk": risk(
            program, world.pm, title=f"{INTERNAL_MARK} risk", audience="internal"
        ).pk,
        "internal_cost_line": CostLine.objects.create(
            program=program,
            driver="labour",
            description=f"{INTERNAL_MARK} line",
            amount=10,
            audience="internal",
        ).pk,
        "internal_note": internal_note.pk,
        "holiday": site_holiday_add(
            actor=world.leader, day=today + datetime.timedelta(days=60), name="Site shutdown"
        ).pk,
        "ws": ws.pk,
        "ms": ms.pk,
        "job": str(built_job(world.lead_a, program).pk),
        "waiting_job": str(waiting_job(world.lead_a, program).pk),
        "month": current(PeriodKind.MONTH).key,
        "ref": deviation.reference,
        "deviation": deviation.pk,
        "deviation_question": deviation_question.pk,
        "other_deviation": other_deviation.pk,
        "pm_id": world.pm.pk,
        "lead_a_id": world.lead_a.pk,
        "today": today.isoformat(),
        "in_a_week": (today + datetime.timedelta(days=7)).isoformat(),
        "in_40_days": (today + datetime.timedelta(days=40)).isoformat(),
        "in_45_days": (today + datetime.timedelta(days=45)).isoformat(),
        "later": (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "an_hour_ago": (timezone.localtime() - datetime.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "two_hours_ago": (timezone.localtime() - datetime.timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "an_hour_ago_iso": (now - datetime.timedelta(hours=1)).isoformat(),
        "two_hours_ago_iso": (now - datetime.timedelta(hours=2)).isoformat(),
    }
    sessions, tokens = {}, {}
    for persona in HARNESS_PERSONAS:
        user = person(world, persona)
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
        tokens[persona] = new_token(user, name="Harness")
    scene = Scene(world=world, names=names, sessions=sessions, tokens=tokens)
    scene.state = database_state()
    return scene
