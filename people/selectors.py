"""Reads for people and access: an organisation's people, its invitations, its access
reviews. Every read starts from `organisations_managed`, so a page can show only what the
user manages; another organisation is a 404."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from people.models import AccessReview, AccessReviewDecision, Invitation
from people.quarters import previous_quarter_start, quarter_start
from portal import access, clock
from portal.models import Membership, Organisation, User
from programs.models import Program


def organisations_managed(user: User) -> QuerySet[Organisation]:
    """The organisations whose people `user` manages: a sponsor lead's own; every one for a
    CDMO administrator; none for anyone else."""
    who = access.viewer(user)
    if who is None:
        return Organisation.objects.none()
    if access.is_cdmo_admin(user):
        return Organisation.objects.all()
    if who.role == Membership.Role.SPONSOR_LEAD:
        return Organisation.objects.filter(pk=who.organisation_id)
    return Organisation.objects.none()


def get_organisation_for_user(user: User, slug: str | None = None) -> Organisation:
    """The organisation `slug` (default: the user's own) if the user manages its people."""
    managed = organisations_managed(user)
    who = access.viewer(user)
    if slug is None:
        found = managed.filter(pk=who.organisation_id).first() if who else None
    else:
        found = managed.filter(slug=slug).first()
    if found is None:
        raise Http404("No such organisation.")
    return found


def people_of(organisation: Organisation) -> QuerySet[Membership]:
    """An organisation's members with their grants and last sign-in: two queries whatever
    their number."""
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .prefetch_related(Prefetch("programs", queryset=Program.objects.order_by("code")))
        .order_by("-user__is_active", "user__display_name", "user__email")
    )


def get_membership(organisation: Organisation, pk: int) -> Membership:
    found = people_of(organisation).filter(pk=pk).first()
    if found is None:
        raise Http404("No such person.")
    return found


def invitations_of(organisation: Organisation) -> QuerySet[Invitation]:
    """The organisation's invitations not yet accepted or revoked (expired ones included, to
    be resent), newest first."""
    return (
        Invitation.objects.filter(
            organisation=organisation, accepted_at__isnull=True, revoked_at__isnull=True
        )
        .select_related("invited_by")
        .prefetch_related(Prefetch("programs", queryset=Program.objects.order_by("code")))
    )


def get_invitation(organisation: Organisation, pk: int) -> Invitation:
    found = Invitation.objects.filter(organisation=organisation, pk=pk).first()
    if found is None:
        raise Http404("No such invitation.")
    return found


def sponsor_programs(organisation: Organisation) -> QuerySet[Program]:
    return Program.objects.filter(sponsor=organisation).order_by("code")


@dataclass(frozen=True)
class ReviewRow:
    membership: Membership
    decision: AccessReviewDecision | None


def current_review(organisation: Organisation) -> AccessReview:
    """This quarter's review of the organisation; unsaved until its first decision."""
    start = quarter_start(clock.site_today())
    found = AccessReview.objects.filter(organisation=organisation, quarter_start=start).first()
    return found or AccessReview(organisation=organisation, quarter_start=start)


def review_rows(review: AccessReview) -> list[ReviewRow]:
    """Every member of the reviewed organisation with their decision in this review."""
    decisions = (
        {d.user_id: d for d in review.decisions.select_related("decided_by")} if review.pk else {}
    )
    return [
        ReviewRow(membership=m, decision=decisions.get(m.user_id))
        for m in people_of(review.organisation)
        if m.user.is_active or m.user_id in decisions
    ]


@dataclass(frozen=True)
class ReviewStatus:
    organisation: Organisation
    last_signed_off: AccessReview | None
    overdue: bool


def review_dashboard(*, today: datetime.date | None = None) -> list[ReviewStatus]:
    """Every sponsor, its last signed-off review and whether the previous quarter's review is
    missing (overdue). Three queries whatever the number of sponsors."""
    today = today or clock.site_today()
    previous = previous_quarter_start(today)
    cutoff = clock.day_end(quarter_start(today) - datetime.timedelta(days=1))
    sponsors = list(Organisation.objects.filter(kind=Organisation.Kind.SPONSOR).order_by("name"))
    signed = AccessReview.objects.filter(
        organisation__in=sponsors, signed_off_at__isnull=False
    ).select_related("signed_off_by")
    last: dict[int, AccessReview] = {}
    for signed_review in signed.order_by("quarter_start"):
        last[signed_review.organisation_id] = signed_review
    founders = set(
        Membership.objects.filter(organisation__in=sponsors, created_at__lt=cutoff).values_list(
            "organisation_id", flat=True
        )
    )
    rows = []
    for sponsor in sponsors:
        review = last.get(sponsor.pk)
        covered = review is not None and review.quarter_start >= previous
        rows.append(
            ReviewStatus(
                organisation=sponsor,
                last_signed_off=review,
                overdue=sponsor.pk in founders and not covered,
            )
        )
    return rows
