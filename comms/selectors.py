"""Reads for updates and notifications, scoped by tenant and audience."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from comms.models import Notification, Update
from portal.models import User
from programs.models import Program
from programs.selectors import program_list


def portfolio(*, user: User) -> QuerySet[Program]:
    """The user's programs, each with the newest update they may see."""
    latest = Update.objects.visible_to(user).filter(program=OuterRef("pk")).order_by("-created_at")
    return program_list(user=user).annotate(
        latest_update_title=Subquery(latest.values("title")[:1]),
        latest_update_at=Subquery(latest.values("created_at")[:1]),
        latest_update_significance=Subquery(latest.values("significance")[:1]),
    )


def update_list(*, user: User, program: Program) -> QuerySet[Update]:
    return Update.objects.visible_to(user).filter(program=program).select_related("author")


def get_update_for_user(user: User, program: Program, pk: int) -> Update:
    update = update_list(user=user, program=program).filter(pk=pk).first()
    if update is None:
        raise Http404("No such update.")
    return update


def notification_list(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.for_recipient(user).select_related("update__program")


def unread_notification_count(*, user: User) -> int:
    return Notification.objects.for_recipient(user).unread().count()
