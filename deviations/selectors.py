"""Reads for deviations, always starting from what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from deviations.models import CAPA, Deviation, ExtensionRequest, RootCause
from portal import access
from portal.models import User
from programs.models import Batch, Event, Program, ProgramMember

NO_SUCH_DEVIATION = "No such deviation."


@dataclass(frozen=True)
class DeviationFilters:
    program: str = ""
    status: str = ""
    classification: str = ""
    overdue: bool = False


def _base(user: User) -> QuerySet[Deviation]:
    return (
        Deviation.objects.visible_to(user)
        .select_related("program", "program__sponsor", "sponsor_acknowledged_by")
        .prefetch_related(Prefetch("batches", queryset=Batch.objects.order_by("lot_number")))
    )


def lapsed_notification_windows(*, user: User) -> int:
    """How many of the user's deviations passed their notification due unnotified: each one's
    `notification_window_met` has turned from null to false, with no write to tell."""
    lapsed = Deviation.objects.visible_to(user).filter(
        sponsor_notified_at__isnull=True, notification_due__lte=timezone.now()
    )
    return lapsed.count()


def deviation_list(*, user: User, filters: DeviationFilters | None = None) -> QuerySet[Deviation]:
    deviations = _base(user)
    filters = filters or DeviationFilters()
    if filters.program:
        deviations = deviations.filter(program__code=filters.program)
    if filters.status:
        deviations = deviations.filter(status=filters.status)
    if filters.classification:
        deviations = deviations.filter(classification=filters.classification)
    if filters.overdue:
        now = timezone.now()
        deviations = deviations.filter(
            Q(sponsor_notified_at__isnull=True, notification_due__lt=now)
            | Q(sponsor_notified_at__gt=F("notification_due"))
            | Q(status__in=Deviation.OPEN_STATUSES, investigation_due__lt=now)
        )
    return deviations


def counts_by_class(deviations: QuerySet[Deviation]) -> dict[str, int]:
    """Open deviations by class, in one query."""
    rows = (
        deviations.filter(status__in=Deviation.OPEN_STATUSES)
        .order_by()
        .values("classification")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(Deviation.Classification.values, 0)
    counts.update({row["classification"]: row["n"] for row in rows})
    return counts


def triage_queue(*, user: User) -> QuerySet[Deviation]:
    """Open and investigating deviations, oldest awareness first: what QA looks at next."""
    return (
        _base(user)
        .filter(status__in=[Deviation.Status.OPEN, Deviation.Status.INVESTIGATING])
        .order_by("aware_at", "id")
    )


def deviation_grant(user: User, reference: str) -> access.Grant[Deviation]:
    """The deviation with everything its page shows and what the user may do with it, or 404
    if the user may not see it. The program's team comes along, for the capacities."""
    deviations = (
        _base(user)
        .select_related("logged_by")
        .prefetch_related(
            Prefetch(
                "program__members",
                queryset=ProgramMember.objects.active().select_related("user"),
                to_attr=Program.PREFETCHED_MEMBERS,
            ),
            Prefetch("root_causes", queryset=RootCause.objects.order_by("id")),
            Prefetch("capas", queryset=CAPA.objects.select_related("owner")),
            Prefetch(
                "extensions",
                queryset=ExtensionRequest.objects.select_related("requested_by", "decided_by"),
            ),
            "affected_milestones",
        )
    )
    return access.grant(user, deviations, not_found=NO_SUCH_DEVIATION, reference=reference)


def _subject(model: type[Deviation | RootCause | CAPA | ExtensionRequest], pks: list[int]) -> Q:
    return Q(subject_type=model._meta.label_lower, subject_id__in=[str(pk) for pk in pks])


def deviation_events(*, user: User, deviation: Deviation, limit: int = 50) -> list[Event]:
    """The deviation's entries in its program's stream: those whose subject is the deviation
    or one of its root causes, CAPA actions or extensions (from the page's prefetch)."""
    subjects = (
        _subject(Deviation, [deviation.pk])
        | _subject(RootCause, [cause.pk for cause in deviation.root_causes.all()])
        | _subject(CAPA, [capa.pk for capa in deviation.capas.all()])
        | _subject(ExtensionRequest, [ext.pk for ext in deviation.extensions.all()])
    )
    return list(
        Event.objects.visible_to(user)
        .filter(subjects, program_id=deviation.program_id)
        .select_related("actor")
        .order_by("id")[:limit]
    )


def audit_parts(deviation: Deviation) -> list[tuple[type[Any], int]]:
    """The deviation's parts whose changes belong to its audit trail (from the prefetch)."""
    return [
        *((RootCause, cause.pk) for cause in deviation.root_causes.all()),
        *((CAPA, capa.pk) for capa in deviation.capas.all()),
        *((ExtensionRequest, ext.pk) for ext in deviation.extensions.all()),
    ]


def programs_for_filter(*, user: User) -> QuerySet[Program]:
    return Program.objects.visible_to(user).order_by("code").only("code", "name")
