"""Reads of the outcomes app, always starting from what the user may see."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404

from .models import Job


def job_for(user: Any, key: uuid.UUID | str) -> Job:
    """The job `key` if `user` asked for it and still sees its program; anything else (someone
    else's job, another sponsor's, a key that is not a UUID) is a 404."""
    try:
        pk = key if isinstance(key, uuid.UUID) else uuid.UUID(key)
    except ValueError:
        raise Http404("No such job.") from None
    job = Job.objects.visible_to(user).select_related("program").filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    return job
