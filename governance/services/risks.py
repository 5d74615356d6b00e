"""The risk register: adding a risk, changing it, and sharing an internal one with the
sponsor. A risk that rises to high (score 15 or more) is a notable event."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.urls import reverse

from governance.models import Risk
from governance.services.common import (
    NOT_PROGRAM_TEAM,
    TITLE_REQUIRED,
    check_audience,
    participants,
    require,
)
from portal import bounds
from portal.access import Action, Audience
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

HIGH_RISK_SCORE = 15
ALREADY_SHARED = "This risk is already shared with the sponsor."
UNKNOWN_FIELD = "Unknown risk field: {names}."
RISK_FIELDS = (
    "title",
    "description",
    "likelihood",
    "impact",
    "mitigation",
    "contingency",
    "owner",
    "status",
    "review_date",
)


def _note(risk: Risk, verb: str, summary: str, *, notable: bool = False) -> changes.Note:
    """The stream's line about a risk; it reaches whoever may read the risk itself."""
    return changes.Note(
        verb=verb,
        summary=summary,
        significance="notable" if notable else "info",
        url=reverse("risk-list", args=[risk.program.code]) + f"#risk-{risk.pk}",
    )


@atomic_service
def risk_create(
    *,
    actor: User,
    program: Program,
    title: str,
    likelihood: int,
    impact: int,
    owner: User,
    review_date: datetime.date,
    description: str = "",
    mitigation: str = "",
    contingency: str = "",
    status: str = Risk.Status.OPEN,
    audience: str = Audience.INTERNAL,
) -> Risk:
    """Add a risk to the register. A high one (score 15 or more) is a notable event."""
    require(actor, Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
    bounds.check(review_date=review_date)
    if not title.strip():
        raise Invalid(TITLE_REQUIRED, field="title")
    participants(program, [owner], "owner")
    check_audience(audience, owner)
    locked = changes.lock_program(program.pk)
    risk = Risk(
        program=locked,
        title=title.strip(),
        description=description.strip(),
        likelihood=likelihood,
        impact=impact,
        mitigation=mitigation.strip(),
        contingency=contingency.strip(),
        owner=owner,
        status=status,
        review_date=review_date,
        audience=audience,
    )
    changes.create(risk, actor=actor, program=locked)  # the event's link needs its id
    changes.log(
        program=locked,
        actor=actor,
        subject=risk,
        note=_note(
            risk,
            "risk.added",
            f"Risk added: {risk.title} (score {risk.score})",
            notable=risk.score >= HIGH_RISK_SCORE,
        ),
    )
    return risk


@atomic_service
def risk_update(*, actor: User, risk: Risk, **values: Any) -> Risk:
    """Change a risk's fields (any of RISK_FIELDS). Rising to high is a notable event. Who may
    read it changes only by `risk_share`."""
    require(actor, Action.EDIT_PROGRAM, risk.program, NOT_PROGRAM_TEAM)
    unknown = set(values) - set(RISK_FIELDS)
    if unknown:
        raise Invalid(UNKNOWN_FIELD.format(names=", ".join(sorted(unknown))))
    if "title" in values and not str(values["title"]).strip():
        raise Invalid(TITLE_REQUIRED, field="title")
    bounds.check(review_date=values.get("review_date"))
    locked = changes.lock_program(risk.program_id)
    risk = Risk.objects.select_for_update(of=("self",)).select_related("program").get(pk=risk.pk)
    if "owner" in values:
        participants(risk.program, [values["owner"]], "owner")
        check_audience(risk.audience, values["owner"], field="owner")
    was_high = risk.score >= HIGH_RISK_SCORE
    cleaned = {name: v.strip() if isinstance(v, str) else v for name, v in values.items()}
    if changes.update(risk, actor=actor, program=locked, values=cleaned) is not None:
        changes.log(
            program=locked,
            actor=actor,
            subject=risk,
            note=_note(
                risk,
                "risk.updated",
                f"Risk updated: {risk.title} ({risk.get_status_display().lower()}, "
                f"score {risk.score})",
                notable=risk.score >= HIGH_RISK_SCORE and not was_high,
            ),
        )
    return risk


@atomic_service
def risk_share(*, actor: User, risk: Risk) -> Risk:
    """Share an internal risk with the sponsor: an audited step that the sponsor's open pages
    then receive."""
    require(actor, Action.SHARE, risk.program, NOT_PROGRAM_TEAM)
    locked = changes.lock_program(risk.program_id)
    risk = Risk.objects.select_for_update(of=("self",)).select_related("program").get(pk=risk.pk)
    if risk.audience == Audience.SPONSOR:
        raise Conflict(ALREADY_SHARED)
    note = _note(
        risk,
        "risk.shared",
        f"Risk shared with the sponsor: {risk.title} (score {risk.score})",
        notable=risk.score >= HIGH_RISK_SCORE,
    )
    changes.update(
        risk,
        actor=actor,
        program=locked,
        values={"audience": Audience.SPONSOR},
        note=dataclasses.replace(note, audience=Audience.SPONSOR),
    )
    return risk
