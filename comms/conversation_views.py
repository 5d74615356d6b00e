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
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from comms import selectors, services
from comms.forms import CommentForm
from comms.models import Comment, Update
from comms.services import CommentTarget
from comms.templatetags.conversation import thread_url
from portal import policy
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from portal.models import User
from programs.models import Audience, Program
from programs.selectors import get_program_for_user

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
    services.update_reads_record(user=user, updates=updates)
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
    program: Program,
    target: CommentTarget,
    form: CommentForm | None = None,
    posted: str = "",
) -> dict[str, Any]:
    user = request.user
    kind = target._meta.model_name
    thread = selectors.comment_thread(user=user, target=target)
    draft = _is_draft(target)
    can_answer = policy.can_answer_question(user, program) and any(
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
        "can_ask": policy.can_ask_question(user, program),
        "can_note": policy.can_post_internal_note(user, program) and not draft,
        "can_answer": can_answer,
        "thread_id": f"thread-{kind}-{target.pk}",
        "thread_url": url,
        "oob_count": bool(request.htmx) and kind == "update",
    }


def _is_draft(target: CommentTarget) -> bool:
    return isinstance(target, Update) and target.audience == Audience.INTERNAL


def _shown_fields(user: User, program: Program, target: CommentTarget) -> set[str]:
    """The form fields this person's page shows; an error on any other goes on top."""
    shown = {"body"}
    if policy.can_ask_question(user, program):
        shown.add("is_question")
    if policy.can_post_internal_note(user, program) and not _is_draft(target):
        shown.add("audience")
    if policy.can_answer_question(user, program):
        shown.add("answer_to")
    return shown


def _post_comment(
    request: PortalRequest, program: Program, target: CommentTarget, form: CommentForm
) -> Comment | None:
    """Hand a valid form to the service that fits; a broken rule becomes a form error."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        question: Comment | None = data["answer_to"]
        if question is not None:
            question.program = program
            return services.question_answer(
                actor=request.user, question=question, body=data["body"], audience=data["audience"]
            )
        return services.comment_post(
            actor=request.user,
            target=target,
            body=data["body"],
            audience=data["audience"],
            is_question=data["is_question"],
        )
    except ServiceError as exc:
        shown = _shown_fields(request.user, program, target)
        add_service_error(form, exc, shown)
        return None


@login_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def comment_thread(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    target = _target(request, program)
    if request.method == "GET":
        context = _thread_context(request, program, target)
        template = THREAD_TEMPLATE
        if request.htmx:
            fragment = request.GET.get("fragment")
            template += "#comment-list" if fragment == "comment-list" else "#comments"
        return render(request, template, context)

    form = _comment_form(request, target, data=request.POST)
    comment = _post_comment(request, program, target, form)
    if comment is None:
        context = _thread_context(request, program, target, form)
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
    context = _thread_context(request, program, target, posted=done)
    response = render(request, f"{THREAD_TEMPLATE}#comments", context)
    return trigger_client_event(response, "comment-posted")


def _question_stats_context(request: PortalRequest, program: Program) -> dict[str, Any]:
    user = request.user
    return {
        "program": program,
        "open_questions": list(selectors.open_questions(user, program)[:QUESTIONS_SHOWN]),
        "answered_questions": list(
            selectors.with_first_answer(selectors.answered_questions(user, program), user=user)[
                :QUESTIONS_SHOWN
            ]
        ),
        "stats": selectors.question_stats(user, program),
        "can_answer": policy.can_answer_question(user, program),
        "shown": QUESTIONS_SHOWN,
    }


@login_required
@vary_on_headers("HX-Request")
def program_questions(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    template = QUESTIONS_TEMPLATE
    if request.htmx and request.GET.get("fragment") == "questions":
        template += "#questions"
    return render(request, template, _question_stats_context(request, program))


@login_required
@vary_on_headers("HX-Request")
def open_questions(request: PortalRequest) -> HttpResponse:
    """Every open question on the programs the CDMO user answers for, longest-waiting first."""
    if not policy.is_cdmo(request.user):
        raise PermissionDenied(NOT_FOR_SPONSORS)
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
    services.notification_open(user=request.user, notification=notification)
    url = notification.url
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("notification-list")
    return redirect(url)
