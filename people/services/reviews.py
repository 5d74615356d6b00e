"""The quarterly access review (21 CFR 11.10(d), EU GMP Annex 11 §12): the lead confirms or
removes each person and signs off; reminders go to the leads when a review is due and when
it is overdue, once each per quarter."""

from __future__ import annotations

import datetime
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from people.models import AccessReview, AccessReviewDecision
from people.quarters import previous_quarter_start, quarter_start
from people.services.common import grant_labels, require_manager
from people.services.members import person_deactivate
from portal import audit, clock
from portal.errors import Conflict, Invalid
from portal.models import AuditEntry, Membership, Organisation, User
from portal.transactions import atomic_service

NOT_SPONSOR = "Access reviews are for sponsor organisations."
REVIEW_SIGNED = "This review is already signed off."
REVIEW_UNDECIDED = "Confirm or remove every person before signing off: {names}."
NOT_IN_REVIEW = "This person is not a member of the organisation under review."
DECISION_INVALID = "Choose confirm or remove."

REVIEW_SIGNED_OFF = "Quarterly access review signed off."


@atomic_service
def access_review_open(*, organisation: Organisation, quarter: datetime.date) -> AccessReview:
    """The review of `organisation` for the quarter that contains `quarter`, created on first
    use (idempotent)."""
    if organisation.kind != Organisation.Kind.SPONSOR:
        raise Invalid(NOT_SPONSOR)
    review, _ = AccessReview.objects.get_or_create(
        organisation=organisation, quarter_start=quarter_start(quarter)
    )
    return review


@atomic_service
def access_review_decide(
    *, actor: User, review: AccessReview, user: User, decision: str
) -> AccessReviewDecision:
    """Confirm a person's access, or remove it (deactivation, by the same service as the
    people page)."""
    review = (
        AccessReview.objects.select_for_update().select_related("organisation").get(pk=review.pk)
    )
    require_manager(actor, review.organisation)
    if review.is_signed_off:
        raise Conflict(REVIEW_SIGNED)
    if decision not in AccessReviewDecision.Decision.values:
        raise Invalid(DECISION_INVALID, field="decision")
    membership = (
        Membership.objects.filter(user=user, organisation=review.organisation)
        .prefetch_related("programs")
        .first()
    )
    if membership is None:
        raise Invalid(NOT_IN_REVIEW)
    if decision == AccessReviewDecision.Decision.REMOVED and user.is_active:
        person_deactivate(actor=actor, user=user, reason="Removed in the quarterly access review.")
    grants = (
        "all" if membership.all_programs else ", ".join(grant_labels(membership.programs.all()))
    )
    row, _ = AccessReviewDecision.objects.update_or_create(
        review=review,
        user=user,
        defaults={
            "decision": decision,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "role": membership.role,
            "programs": grants[:500],
        },
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=review,
        changes={"person": [None, user.email], "decision": [None, decision]},
        reason=f"Access review {review.label}: {row.get_decision_display().lower()}.",
    )
    return row


@atomic_service
def access_review_sign_off(*, actor: User, review: AccessReview) -> AccessReview:
    """Sign off a review once every active member has a decision."""
    review = (
        AccessReview.objects.select_for_update().select_related("organisation").get(pk=review.pk)
    )
    require_manager(actor, review.organisation)
    if review.is_signed_off:
        raise Conflict(REVIEW_SIGNED)
    decided = set(review.decisions.values_list("user_id", flat=True))
    undecided = User.objects.filter(
        membership__organisation=review.organisation, is_active=True
    ).exclude(pk__in=decided)
    names = [str(person) for person in undecided.order_by("display_name")[:10]]
    if names:
        raise Invalid(REVIEW_UNDECIDED.format(names=", ".join(names)))
    before = audit.snapshot(review, ["signed_off_at", "signed_off_by"])
    review.signed_off_at = timezone.now()
    review.signed_off_by = actor
    review.save(update_fields=["signed_off_at", "signed_off_by"])
    audit.record_update(actor=actor, instance=review, before=before, reason=REVIEW_SIGNED_OFF)
    return review


def _leads(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            membership__organisation=organisation,
            membership__role=Membership.Role.SPONSOR_LEAD,
        ).order_by("pk")
    )


def _remind(review: AccessReview, kind: str) -> None:
    leads = [lead for lead in _leads(review.organisation) if lead.is_active]
    if not leads:
        return
    context = {
        "review": review,
        "overdue": kind == "overdue",
        "link": settings.SITE_URL.rstrip("/") + reverse("people:review"),
    }
    subject = (
        f"Overdue: access review {review.label} for {review.organisation}"
        if kind == "overdue"
        else f"Access review {review.label} for {review.organisation} is due"
    )
    send_mail(
        subject=subject,
        message=render_to_string("people/emails/review_reminder.txt", context),
        from_email=None,
        recipient_list=[lead.email for lead in leads],
    )


def access_review_remind(*, today: datetime.date | None = None) -> list[tuple[int, str]]:
    """Remind every sponsor's leads of this quarter's review (once per quarter), and of the
    previous quarter's review while it is not signed off (once). Safe to run any number of
    times. Returns the (review id, kind) pairs reminded."""
    today = today or clock.site_today()
    sent: list[tuple[int, str]] = []
    for organisation in Organisation.objects.filter(kind=Organisation.Kind.SPONSOR):
        if not organisation.memberships.exists():
            continue
        for kind, quarter in (("due", today), ("overdue", previous_quarter_start(today))):
            if kind == "overdue" and not _existed_before(organisation, quarter_start(today)):
                continue
            review = access_review_open(organisation=organisation, quarter=quarter)
            field = "due_reminder_sent_at" if kind == "due" else "overdue_reminder_sent_at"
            with transaction.atomic():
                claimed = AccessReview.objects.filter(
                    pk=review.pk, signed_off_at__isnull=True, **{f"{field}__isnull": True}
                ).update(**{field: timezone.now()})
                if claimed:
                    transaction.on_commit(partial(_remind, review, kind))
                    sent.append((review.pk, kind))
    return sent


def _existed_before(organisation: Organisation, day: datetime.date) -> bool:
    """Whether the organisation had people before `day`: a sponsor onboarded this quarter has
    no previous quarter to review."""
    return organisation.memberships.filter(
        created_at__lt=clock.day_end(day - datetime.timedelta(days=1))
    ).exists()
