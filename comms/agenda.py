"""The "Open questions" section of every meeting agenda (registered in `CommsConfig.ready`):
governance composes agendas but must not import comms, so comms hands it this function."""

from __future__ import annotations

from comms.selectors import agenda_open_questions
from comms.services.conversations import comment_thread_url
from comms.templatetags.conversation import waited
from governance.agenda import AgendaItem
from governance.models import Meeting
from programs.models import Program

SECTION_NAME = "Open questions"
SECTION_LIMIT = 10


def open_questions_section(program: Program, meeting: Meeting) -> list[AgendaItem]:
    """The sponsor's unanswered questions on the program, longest-waiting first. Questions
    are always shared with both sides, so the whole list may go on the shared agenda."""
    questions = agenda_open_questions(program=program)[:SECTION_LIMIT]
    return [
        AgendaItem(
            text=" ".join(question.body.split())[:200],
            detail=f"{question.author.display_name}, waiting {waited(question.created_at)}",
            url=comment_thread_url(question),
        )
        for question in questions
    ]
