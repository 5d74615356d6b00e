"""The quarterly access review (21 CFR 11.10(d), EU GMP Annex 11 §12): decisions, sign-off,
reminders and the CDMO's dashboard."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from people import selectors
from people.models import AccessReview
from people.services import reviews
from people.tasks import remind_access_reviews
from portal.errors import Conflict, Invalid
from portal.models import AuditEntry, Membership
from tests.support.world import client_for

pytestmark = [pytest.mark.clause("21 CFR 11.10(d)"), pytest.mark.clause("EU GMP Annex 11 §12.1")]

# Noon on 15 May 2026, site time: the second quarter of 2026.
MID_Q2 = datetime.datetime(2026, 5, 15, 12, tzinfo=datetime.UTC)
NEXT_QUARTER = datetime.datetime(2026, 7, 2, 12, tzinfo=datetime.UTC)


@pytest.fixture
def review(world):
    with time_machine.travel(MID_Q2, tick=False):
        return reviews.access_review_open(
            organisation=world.sponsor_a, quarter=datetime.date(2026, 5, 15)
        )


def test_the_review_page_lists_each_person_with_role_grants_last_sign_in_and_end_date(world):
    page = client_for(world, "lead_a").get("/people/org/helix/review/").content.decode()

    assert world.viewer_a.email in page
    assert "Sponsor viewer" in page
    assert "All programs" in page
    assert "Last sign-in" in page


def test_confirming_everyone_then_signing_off_records_who_and_when(world, review):
    with time_machine.travel(MID_Q2, tick=False):
        for person in (world.lead_a, world.viewer_a):
            reviews.access_review_decide(
                actor=world.lead_a, review=review, user=person, decision="confirmed"
            )
        reviews.access_review_sign_off(actor=world.lead_a, review=review)

    review.refresh_from_db()
    assert review.signed_off_by == world.lead_a
    assert review.signed_off_at == MID_Q2
    assert AuditEntry.objects.filter(
        model="people.accessreview", reason=reviews.REVIEW_SIGNED_OFF
    ).exists()
    with pytest.raises(Conflict):
        reviews.access_review_sign_off(actor=world.lead_a, review=review)


def test_signing_off_with_an_undecided_person_is_refused(world, review):
    reviews.access_review_decide(
        actor=world.lead_a, review=review, user=world.lead_a, decision="confirmed"
    )

    with pytest.raises(Invalid, match=world.viewer_a.display_name):
        reviews.access_review_sign_off(actor=world.lead_a, review=review)
    review.refresh_from_db()
    assert review.signed_off_at is None


def test_removing_a_person_deactivates_them_through_the_same_service(world, review):
    client_for(world, "lead_a")
    reviews.access_review_decide(
        actor=world.lead_a, review=review, user=world.viewer_a, decision="removed"
    )

    world.viewer_a.refresh_from_db()
    assert not world.viewer_a.is_active
    assert AuditEntry.objects.filter(
        model="portal.user", reason="Removed in the quarterly access review."
    ).exists()


def test_the_page_confirms_removes_and_signs_off(world):
    client = client_for(world, "lead_a")
    client.post("/people/org/helix/review/", {"user": world.lead_a.pk, "decision": "confirmed"})
    client.post("/people/org/helix/review/", {"user": world.viewer_a.pk, "decision": "removed"})

    response = client.post("/people/org/helix/review/sign-off/", follow=True)

    assert "signed off" in response.content.decode()
    assert AccessReview.objects.get(organisation=world.sponsor_a).is_signed_off
    world.viewer_a.refresh_from_db()
    assert not world.viewer_a.is_active


def test_the_page_does_not_decide_about_another_sponsors_person(world):
    response = client_for(world, "lead_a").post(
        "/people/org/helix/review/", {"user": world.lead_b.pk, "decision": "removed"}
    )

    assert response.status_code == 404
    world.lead_b.refresh_from_db()
    assert world.lead_b.is_active


def test_reminders_go_to_the_leads_once_when_due_and_once_when_overdue(
    world, django_capture_on_commit_callbacks
):
    Membership.objects.update(created_at=MID_Q2 - datetime.timedelta(days=200))
    with time_machine.travel(MID_Q2, tick=False), django_capture_on_commit_callbacks(execute=True):
        remind_access_reviews()
        remind_access_reviews()
    due = [m for m in mail.outbox if "is due" in m.subject]
    assert sorted(m.to[0] for m in due) == sorted([world.lead_a.email, world.lead_b.email])
    assert all("/people/review/" in m.body for m in due)
    overdue_q1 = [m for m in mail.outbox if m.subject.startswith("Overdue")]
    assert len(overdue_q1) == 2  # Q1 was never signed off, for either sponsor
    mail.outbox.clear()

    with (
        time_machine.travel(NEXT_QUARTER, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        remind_access_reviews()
        remind_access_reviews()

    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "Access review 2026 Q3 for Borealis is due",
        "Access review 2026 Q3 for Helix is due",
        "Overdue: access review 2026 Q2 for Borealis",
        "Overdue: access review 2026 Q2 for Helix",
    ]


def test_a_signed_off_review_is_not_reminded_as_overdue(world, django_capture_on_commit_callbacks):
    Membership.objects.update(created_at=MID_Q2 - datetime.timedelta(days=200))
    with time_machine.travel(MID_Q2, tick=False):
        review = reviews.access_review_open(
            organisation=world.sponsor_a, quarter=datetime.date(2026, 5, 15)
        )
        for person in (world.lead_a, world.viewer_a):
            reviews.access_review_decide(
                actor=world.lead_a, review=review, user=person, decision="confirmed"
            )
        reviews.access_review_sign_off(actor=world.lead_a, review=review)

    with (
        time_machine.travel(NEXT_QUARTER, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        remind_access_reviews()

    assert "Overdue: access review 2026 Q2 for Helix" not in [m.subject for m in mail.outbox]


def test_the_dashboard_shows_every_sponsor_and_flags_the_unreviewed(world):
    Membership.objects.update(created_at=MID_Q2 - datetime.timedelta(days=200))
    with time_machine.travel(MID_Q2, tick=False):
        q1 = reviews.access_review_open(
            organisation=world.sponsor_a, quarter=datetime.date(2026, 2, 1)
        )
        for person in (world.lead_a, world.viewer_a):
            reviews.access_review_decide(
                actor=world.lead_a, review=q1, user=person, decision="confirmed"
            )
        reviews.access_review_sign_off(actor=world.lead_a, review=q1)
        rows = {row.organisation.name: row for row in selectors.review_dashboard()}
        page = client_for(world, "leader").get("/people/reviews/").content.decode()

    assert rows["Helix"].overdue is False
    assert rows["Helix"].last_signed_off == q1
    assert rows["Borealis"].overdue is True
    assert "Overdue" in page
    assert "2026 Q1" in page


def test_a_sponsor_onboarded_this_quarter_is_not_overdue(world):
    with time_machine.travel(MID_Q2, tick=False):
        rows = {row.organisation.name: row for row in selectors.review_dashboard()}

    assert not rows["Helix"].overdue  # its people joined in this quarter (the test's today)
