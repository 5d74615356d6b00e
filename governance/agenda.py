"""A meeting's agenda, composed from what is open on the program.

The built-in sections come from this app and from programs. Other apps add theirs with
`register_section` (comms registers "open questions", deviations "new deviations"), so that
governance never imports them.

Every item carries an audience. The built-in sections give each item its record's audience
(an internal risk is an internal agenda item); a registered section's items are shared unless
they say otherwise, since a registered section promises items both sides may see. A reader gets
the agenda through `visible_to`, so a sponsor never reads an internal item, live or stored.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from django.db.models import F, Q
from django.utils.text import slugify

from governance.models import ActionItem, Meeting, Risk
from portal import access
from portal.access import Audience
from programs.models import Milestone, Program

logger = logging.getLogger(__name__)

MILESTONE_WINDOW_DAYS = 14
SECTION_LIMIT = 10
TOP_RISKS = 5


@dataclass(frozen=True)
class AgendaItem:
    text: str
    detail: str = ""
    url: str = ""
    audience: str | None = None  # None: the section's audience


@dataclass(frozen=True)
class AgendaSection:
    key: str
    title: str
    items: tuple[AgendaItem, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "items": [asdict(i) for i in self.items]}


SectionFunc = Callable[[Program, Meeting], Iterable[AgendaItem | str]]


@dataclass(frozen=True)
class _Section:
    key: str
    title: str
    func: SectionFunc
    audience: str = Audience.SPONSOR


REGISTRY: dict[str, _Section] = {}


def register_section(name: str, func: SectionFunc) -> None:
    """Add a section to every agenda, after the built-in ones, in registration order.

    `name` is what people read ("open questions"); registering a name again replaces it, so an
    app's `ready()` may run twice without doubling its section.
    """
    key = slugify(name)
    REGISTRY[key] = _Section(key=key, title=name[:1].upper() + name[1:], func=func)


def meeting_local_date(meeting: Meeting) -> datetime.date:
    return meeting.local_start.date()


def _overdue_actions(program: Program, meeting: Meeting) -> list[AgendaItem]:
    """Open action items already past due on the day of the meeting."""
    items = (
        ActionItem.objects.filter(
            program=program,
            status=ActionItem.Status.OPEN,
            due_date__lt=meeting_local_date(meeting),
        )
        .select_related("owner")
        .order_by("due_date", "id")[:SECTION_LIMIT]
    )
    return [
        AgendaItem(
            text=item.title,
            detail=f"{item.owner.display_name}, due {item.due_date:%d %b %Y}",
            audience=item.audience,
        )
        for item in items
    ]


def _milestones(program: Program, meeting: Meeting) -> list[AgendaItem]:
    """Unfinished milestones due in the next two weeks, and every one that is slipping."""
    day = meeting_local_date(meeting)
    due_soon = Q(
        forecast_date__gte=day,
        forecast_date__lte=day + datetime.timedelta(days=MILESTONE_WINDOW_DAYS),
    )
    slipping = Q(forecast_date__gt=F("baseline_date"))
    milestones = Milestone.objects.filter(
        due_soon | slipping, program=program, actual_date__isnull=True
    ).order_by("forecast_date", "id")[:SECTION_LIMIT]
    items = []
    for milestone in milestones:
        detail = f"forecast {milestone.forecast_date:%d %b %Y}"
        if milestone.slip_days > 0:
            detail += (
                f", {milestone.slip_days} days behind the baseline "
                f"({milestone.baseline_date:%d %b %Y})"
            )
        # The agreed timeline exists to be shared with the sponsor.
        items.append(AgendaItem(text=milestone.name, detail=detail, audience=Audience.SPONSOR))
    return items


def _risks(program: Program, meeting: Meeting) -> list[AgendaItem]:
    risks = (
        Risk.objects.filter(program=program, status=Risk.Status.OPEN)
        .select_related("owner")
        .annotate(rank=F("likelihood") * F("impact"))
        .order_by("-rank", "-impact", "id")[:TOP_RISKS]
    )
    return [
        AgendaItem(
            text=risk.title,
            detail=f"score {risk.score} (likelihood {risk.likelihood} x impact {risk.impact}), "
            f"owner {risk.owner.display_name}",
            audience=risk.audience,
        )
        for risk in risks
    ]


BUILT_IN = [
    _Section("overdue-action-items", "Overdue action items", _overdue_actions),
    _Section("milestones", "Milestones due in the next two weeks or slipping", _milestones),
    _Section("top-risks", "Top open risks", _risks),
]


def _as_item(value: AgendaItem | str, audience: str) -> AgendaItem:
    item = value if isinstance(value, AgendaItem) else AgendaItem(text=str(value))
    return item if item.audience is not None else replace(item, audience=audience)


def compose_agenda(program: Program, meeting: Meeting) -> list[AgendaSection]:
    """Every section, built-in first, every item with its audience. A section that fails is
    left out (and logged): one app's bug must not take the meeting page down with it."""
    sections = []
    for section in [*BUILT_IN, *REGISTRY.values()]:
        try:
            items = tuple(
                _as_item(item, section.audience) for item in section.func(program, meeting)
            )
        except Exception:
            logger.exception("agenda section %r failed for %s", section.key, program.code)
            continue
        sections.append(AgendaSection(key=section.key, title=section.title, items=items))
    return sections


def agenda_snapshot(program: Program, meeting: Meeting) -> list[dict[str, Any]]:
    """The agenda as stored on the meeting when it is written up."""
    return [section.as_dict() for section in compose_agenda(program, meeting)]


def sections_from_snapshot(snapshot: list[dict[str, Any]]) -> list[AgendaSection]:
    return [
        AgendaSection(
            key=str(section.get("key", "")),
            title=str(section.get("title", "")),
            items=tuple(
                AgendaItem(
                    text=str(item.get("text", "")),
                    detail=str(item.get("detail", "")),
                    url=str(item.get("url", "")),
                    audience=str(item.get("audience", Audience.INTERNAL)),
                )
                for item in section.get("items", [])
            ),
        )
        for section in snapshot
    ]


def visible_to(sections: list[AgendaSection], user: Any) -> list[AgendaSection]:
    """The agenda as `user` may read it: items of an audience they may not see are left out
    (a section keeps its heading, as an empty section does)."""
    who = access.viewer(user)
    readable = access.audiences(who) if who is not None else frozenset()
    return [
        replace(section, items=tuple(i for i in section.items if i.audience in readable))
        for section in sections
    ]
