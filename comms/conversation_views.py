"""Two-way conversation pages: threads on updates, milestones, meetings and deviations, the
questions pages, and the link a notification follows.

A thread lives at `/programs/<code>/comments/?update=<id>` (or `?milestone=` / `?meeting=` /
`?deviation=`):
the full page without htmx, the `comments` partial (list and form) for an htmx request, and
just the `comment-list` partial with `?fragment=comment-list` (what the list re-fetches on the
program's live event, so that a half-written comment in the form survives).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from comms import selectors
from comms.forms import CommentForm
from comms.models import Comment, Update
from comms.services import conversations
from comms.services.conversations import CommentTarget
from comms.services.updates import notification_open as open_notification
from comms.services.updates import update_reads_record
from comms.templatetags.conversation import thread_url
from portal import access
from portal.access import Audience, Can, Grant
from portal.errors import NotAllowed, ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest, after_button, attempt
from portal.models import User
from programs.models import Program

THREAD_TEMPLATE = "comms/conversation/thread_page.html"
QUESTIONS_TEMPLATE = "comms/conversation/questions.html"
OPEN_QUESTIONS_TEMPLATE = "comms/conversation/open_questions.html"
QUESTIONS_SHOWN = 100
NOT_FOR_SPONSORS = "The open questions of every program are the CDMO team's work list."
_ID = re.compile(r"[0-9]{1,12}")


def updates_seen(*, user: User, program: Program, limit: int) -> list[Update]:
    """The program page's updates: each with its thread size and, for the program team, its
    read receipt (`read_receipt`); a sponsor user's view of them is recorded as read. A fixed
    number of queries, however many updates and reads there are."""
    updates = list(
        selectors.with_conversation(selectors.update_list(user=user, program=program), user=user)[
            :limit
        ]
    )
    update_reads_record(user=user, updates=updates)
    with_receipts = [
        update.pk
        for update in updates
        if update.significance in selectors.RECEIPT_SIGNIFICANCE
        and update.audience == Audience.SPONSOR
    ]
    receipts = selectors.read_receipts(user, with_receipts) if with_receipts else {}
    for update in updates:
        update.read_receipt = receipts.get(update.pk)  # type: ignore[attr-defined]
    return updates


def _id_param(value: str | None) -> int | None:
    return int(value) if value is not None and _ID.fullmatch(value) else None


def _target(request: PortalRequest, program: Program) -> CommentTarget:
    """The one update, milestone, meeting or deviation named in the query string, or a 404."""
    named = [kind for kind in selectors.TARGET_KINDS if kind in request.GET]
    if len(named) != 1:
        raise Http404("Name one update, milestone, meeting or deviation.")
    pk = _id_param(request.GET.get(named[0]))
    if pk is None:
        raise Http404("No such thread.")
    return selectors.get_comment_target(request.user, program, named[0], pk)


def _comment_form(
    request: PortalRequest,
    target: CommentTarget,
    data: Any = None,
    initial: dict[str, Any] | None = None,
) -> CommentForm:
    """The thread's form; its ids carry the thread's, as a page may hold several threads."""
    return CommentForm(
        data,
        open_questions=selectors.thread_open_questions(user=request.user, target=target),
        draft=_is_draft(target),
        initial=initial,
        auto_id=f"{target._meta.model_name}-{target.pk}-%s",
    )


def _thread_context(
    request: PortalRequest,
    grant: Grant[Program],
    target: CommentTarget,
    form: CommentForm | None = None,
    posted: str = "",
) -> dict[str, Any]:
    user, program, can = request.user, grant.obj, grant.can
    kind = target._meta.model_name
    thread = selectors.comment_thread(user=user, target=target)
    draft = _is_draft(target)
    can_answer = can.answer_question and any(
        comment.is_open_question for comment in thread.comments
    )
    if form is None:
        initial = {}
        if can_answer and (answer := _id_param(request.GET.get("answer"))):
            initial["answer_to"] = answer
        form = _comment_form(request, target, initial=initial)
    url = thread_url(program, target)
    return {
        "program": program,
        "target": target,
        "kind": kind,
        "comments": thread.comments,
        "comment_count": thread.size,
        "form": form,
        "posted": posted,
        "draft": draft,
        "can_ask": can.ask_question,
        "can_note": can.post_internal_note and not draft,
        "can_answer": can_answer,
        "can_share": can.share and not draft,
        "thread_id": f"thread-{kind}-{target.pk}",
        "thread_url": url,
        "oob_count": bool(request.htmx) and kind == "update",
    }


def _is_draft(target: CommentTarget) -> bool:
    return isinstance(target, Update) and target.audience == Audience.INTERNAL


def _shown_fields(can: Can, target: CommentTarget) -> set[str]:
    """The form fields this person's page shows; an error on any other goes on top."""
    shown = {"body"}
    if can.ask_question:
        shown.add("is_question")
    if can.post_internal_note and not _is_draft(target):
        shown.add("audience")
    if can.answer_question:
        shown.add("answer_to")
    return shown


def _post_comment(
    request: PortalRequest, grant: Grant[Program], target: CommentTarget, form: CommentForm
) -> Comment | None:
    """Hand a valid form to the service that fits; a broken rule becomes a form error."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        question: Comment | None = data["answer_to"]
        if question is not None:
            question.program = grant.obj
            return conversations.question_answer(
                actor=request.user, question=question, body=data["body"], audience=data["audience"]
            )
        return conversations.comment_post(
            actor=request.user,
            target=target,
            body=data["body"],
            audience=data["audience"],
            is_question=data["is_question"],
        )
    except ServiceError as exc:
        # A crafted post meets the service's rule and its message, a refusal included.
        add_service_error(form, exc, _shown_fields(grant.can, target))
        return None


@login_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def comment_thread(request: PortalRequest, code: str) -> HttpResponse:
    grant = selectors.program_grant(request.user, code)
    program = grant.obj
    target = _target(request, program)
    if request.method == "GET":
        context = _thread_context(request, grant, target)
        template = THREAD_TEMPLATE
        if request.htmx:
            fragment = request.GET.get("fragment")
            template += "#comment-list" if fragment == "comment-list" else "#comments"
        return render(request, template, context)

    form = _comment_form(request, target, data=request.POST)
    comment = _post_comment(request, grant, target, form)
    if comment is None:
        context = _thread_context(request, grant, target, form)
        template = f"{THREAD_TEMPLATE}#comments" if request.htmx else THREAD_TEMPLATE
        return render(request, template, context, status=422)
    if comment.answer_to_id is not None:
        done = "Answer posted; the person who asked has been notified."
    elif comment.is_question:
        done = "Question posted; the CDMO team has been told."
    else:
        done = "Comment posted."
    if not request.htmx:
        messages.success(request, done)
        return redirect(f"{thread_url(program, target)}#comment-{comment.pk}")
    context = _thread_context(request, grant, target, posted=done)
    response = render(request, f"{THREAD_TEMPLATE}#comments", context)
    return trigger_client_event(response, "comment-posted")


def _question_stats_context(request: PortalRequest, grant: Grant[Program]) -> dict[str, Any]:
    user, program = request.user, grant.obj
    return {
        "program": program,
        "open_questions": list(selectors.open_questions(user, program)[:QUESTIONS_SHOWN]),
        "answered_questions": list(
            selectors.with_first_answer(selectors.answered_questions(user, program), user=user)[
                :QUESTIONS_SHOWN
            ]
        ),
        "stats": selectors.question_stats(user, program),
        "can_answer": grant.can.answer_question,
        "shown": QUESTIONS_SHOWN,
    }


@login_required
@vary_on_headers("HX-Request")
def program_questions(request: PortalRequest, code: str) -> HttpResponse:
    grant = selectors.program_grant(request.user, code)
    template = QUESTIONS_TEMPLATE
    if request.htmx and request.GET.get("fragment") == "questions":
        template += "#questions"
    return render(request, template, _question_stats_context(request, grant))


@login_required
@vary_on_headers("HX-Request")
def open_questions(request: PortalRequest) -> HttpResponse:
    """Every open question on the programs the CDMO user answers for, longest-waiting first."""
    if not access.is_cdmo(request.user):
        raise NotAllowed(NOT_FOR_SPONSORS)
    waiting = selectors.questions_waiting_on_me(request.user)
    codes = selectors.team_program_codes(request.user)
    context = {
        "questions": list(waiting[:QUESTIONS_SHOWN]),
        "total": waiting.count(),
        "shown": QUESTIONS_SHOWN,
        "program_count": len(codes),
        "live_trigger": ", ".join([*(f"sse:program-{code}" for code in codes), "every 30s"]),
    }
    template = OPEN_QUESTIONS_TEMPLATE
    if request.htmx and request.GET.get("fragment") == "open-questions":
        template += "#open-questions"
    return render(request, template, context)


@login_required
def notification_open(request: PortalRequest, pk: int) -> HttpResponse:
    """Follow a notification: it is read, so is the update it announced; then go to it."""
    notification = selectors.get_notification_for_user(request.user, pk)
    open_notification(user=request.user, notification=notification)
    url = notification.url
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("notification-list")
    return redirect(url)


@require_POST
@login_required
def comment_share(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """Share a CDMO internal note with the sponsor (the service decides who may: 403)."""
    program = selectors.program_grant(request.user, code).obj
    comment = selectors.get_comment_for_user(request.user, program, pk)
    attempt(
        request,
        lambda: conversations.comment_share(actor=request.user, comment=comment),
        success="Shared with the sponsor; their pages show it now.",
    )
    target = comment.target
    assert target is not None  # the comment_on_exactly_one_thing constraint
    return after_button(request, f"{thread_url(program, target)}#comment-{comment.pk}")
