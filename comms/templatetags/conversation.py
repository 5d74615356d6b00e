"""Template helpers for threads and questions: how long something took, and where a thread is."""

from __future__ import annotations

import datetime

from django import template
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from programs.models import Program

register = template.Library()

_UNITS = (("d", 86_400), ("h", 3_600), ("min", 60))


@register.filter
def duration(seconds: int | float | None) -> str:
    """A span of time as people say it: "2 d 4 h", "3 h 12 min", "8 min" (two units at most)."""
    if seconds is None:
        return ""
    remaining = max(0, int(seconds))
    if remaining < 60:
        return "under a minute"
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append(f"{count} {unit}")
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if not part.startswith("0 "))


@register.filter
def waited(since: datetime.datetime | None) -> str:
    """How long something has been waiting, until now."""
    if since is None:
        return ""
    return duration((timezone.now() - since).total_seconds())


@register.simple_tag
def thread_url(program: Program | None, target: Model) -> str:
    """The thread of an update, milestone, meeting or deviation: `…/comments/?meeting=<id>`.
    Without a program (an include that was not given one) the target's own is read."""
    code = program.code if program else target.program.code  # type: ignore[attr-defined]
    base = reverse("comment-thread", args=[code])
    return f"{base}?{target._meta.model_name}={target.pk}"


@register.filter
def target_label(target: Model | None) -> str:
    """What a thread is about, as a reader names it: "Update · Resin lead time extended"."""
    if target is None:
        return ""
    kind = str(target._meta.model_name)
    name = target.name if kind == "milestone" else target.title  # type: ignore[attr-defined]
    if kind == "deviation":
        name = f"{target.reference} {name}"  # type: ignore[attr-defined]
    return f"{kind.capitalize()} · {name}"
