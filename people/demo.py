"""Demo people: Helix's lead has a pending invitation out (a colleague restricted to HLX-101)
and has signed off this quarter's access review, so the people page, the review and the
CDMO's dashboard all show something. The invitation row is written directly: seeding must not
send an email, and its link is never needed (its token is thrown away)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from people.models import AccessReview, Invitation
from people.services import invitations, reviews
from portal import audit, clock
from portal.models import AuditEntry

if TYPE_CHECKING:
    from programs.demo import Demo

HELIX_LEAD = "sponsor@helix.example"
INVITEE = "ana.pereira@helix.example"


def seed(demo: Demo) -> None:
    helix = demo.organisations["helix"]
    if AccessReview.objects.filter(organisation=helix).exists():
        return
    lead = demo.people[HELIX_LEAD]
    now = timezone.now()
    invitation = Invitation(
        organisation=helix,
        email=INVITEE,
        role="viewer",
        all_programs=False,
        token_hash=Invitation.hash_token(Invitation.new_token()),
        invited_by=lead,
        created_at=now,
        sent_at=now,
        expires_at=now + datetime.timedelta(days=invitations.INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    programs = [demo.programs["HLX-101"]]
    invitation.programs.set(programs)
    audit.record(
        actor=lead,
        action=AuditEntry.Action.CREATE,
        instance=invitation,
        changes={
            "email": [None, INVITEE],
            "role": [None, "viewer"],
            "programs": [None, ["HLX-101"]],
        },
        reason=invitations.INVITED,
    )
    review = reviews.access_review_open(organisation=helix, quarter=clock.site_today())
    for person in helix.memberships.select_related("user"):
        reviews.access_review_decide(
            actor=lead, review=review, user=person.user, decision="confirmed"
        )
    reviews.access_review_sign_off(actor=lead, review=review)
