"""Onboarding pages for the CDMO's administrators (leadership): sponsors, their programs and
the people on both sides. Everyone else finds no such page (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deviations.models import QualityAgreement
from deviations.services import agreements
from onboarding import selectors, services
from onboarding.forms import (
    AgreementVersionForm,
    EndTenureForm,
    OrganisationForm,
    ProgramCreateForm,
    TeamMemberForm,
)
from portal.errors import ServiceError
from portal.forms import add_service_error, submit
from portal.http import PortalRequest, attempt
from portal.models import Organisation
from programs.models import Program
from programs.services.program import program_create


def _page(request: PortalRequest, template: str, context: dict, form: object) -> HttpResponse:
    errors = getattr(form, "errors", None)
    return render(request, template, context, status=422 if errors else 200)


@login_required
def sponsor_list(request: PortalRequest) -> HttpResponse:
    sponsors = list(selectors.sponsor_list(user=request.user))
    return render(request, "onboarding/sponsor_list.html", {"sponsors": sponsors})


@login_required
def sponsor_create(request: PortalRequest) -> HttpResponse:
    selectors.require_admin(request.user)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and submit(form, services.organisation_create, actor=request.user):
        messages.success(request, f"Sponsor {form.cleaned_data['name']} created.")
        return redirect("onboarding-sponsors")
    context = {"form": form, "title": "New sponsor organisation"}
    return _page(request, "onboarding/sponsor_form.html", context, form)


@login_required
def sponsor_edit(request: PortalRequest, slug: str) -> HttpResponse:
    sponsor = selectors.get_sponsor(user=request.user, slug=slug)
    initial = {name: getattr(sponsor, name) for name in services.FIELDS}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        reason = values.pop("reason")
        try:
            services.organisation_update(
                actor=request.user, organisation=sponsor, values=values, reason=reason
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Sponsor {values['name']} saved.")
            return redirect("onboarding-sponsors")
    context = {"form": form, "title": f"Edit {sponsor.name}", "sponsor": sponsor}
    return _page(request, "onboarding/sponsor_form.html", context, form)


@login_required
def program_new(request: PortalRequest, slug: str) -> HttpResponse:
    sponsor = selectors.get_sponsor(user=request.user, slug=slug)
    form = ProgramCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            program = _create_program(request, sponsor, form.cleaned_data)
        except (ServiceError, ValidationError) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Program {program.code} created.")
            return redirect("onboarding-team", code=program.code)
    context = {"form": form, "title": f"New program for {sponsor.name}", "sponsor": sponsor}
    return _page(request, "onboarding/program_form.html", context, form)


def _create_program(request: PortalRequest, sponsor: Organisation, data: dict) -> Program:
    services.require_admin(request.user)
    return program_create(actor=request.user, sponsor=sponsor, **data)


@login_required
def team(request: PortalRequest, code: str) -> HttpResponse:
    program = selectors.get_program(user=request.user, code=code)
    people = selectors.team_candidates(program)
    form = TeamMemberForm(request.POST or None, people=people)
    if request.method == "POST" and submit(
        form, services.team_member_add, actor=request.user, program=program
    ):
        messages.success(request, "Team updated.")
        return redirect("onboarding-team", code=program.code)
    program.forget_members()
    context = {
        "program": program,
        "members": list(program.members.active().select_related("user")),
        "form": form,
        "end_form": EndTenureForm(),
    }
    return _page(request, "onboarding/team.html", context, form)


@require_POST
@login_required
def tenure_end(request: PortalRequest, code: str, user_id: int, role: str) -> HttpResponse:
    program = selectors.get_program(user=request.user, code=code)
    member = selectors.get_tenure(user=request.user, program=program, user_id=user_id, role=role)
    form = EndTenureForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["reason"]))
    else:
        attempt(
            request,
            lambda: services.team_member_end(
                actor=request.user, member=member, reason=form.cleaned_data["reason"]
            ),
            success=f"{member.user.display_name} left the program.",
        )
    return redirect("onboarding-team", code=program.code)


@login_required
def quality_agreement(request: PortalRequest, slug: str) -> HttpResponse:
    """A sponsor's quality agreement with its version history. The CDMO and the sponsor's own
    people read it; CDMO administrators and QA add a version (`may_keep_agreements`)."""
    sponsor = selectors.agreement_sponsor(user=request.user, slug=slug)
    keeper = agreements.may_keep_agreements(request.user)
    programs = Program.objects.filter(sponsor=sponsor).order_by("code")
    current = agreement_for_sponsor(sponsor)
    initial = {name: getattr(current, name) for name in agreements.WINDOWS}
    form = AgreementVersionForm(request.POST or None, programs=programs, initial=initial)
    if request.method == "POST":
        if not keeper:
            return render(request, "portal/forbidden.html", status=403)
        if submit(form, agreements.agreement_version_add, actor=request.user, sponsor=sponsor):
            messages.success(request, "New quality agreement version recorded.")
            return redirect("onboarding-quality-agreement", slug=sponsor.slug)
    every = agreements.version_list(user=request.user, sponsor=sponsor)
    by_program: dict[int, list[QualityAgreement]] = {}
    for version in every:
        if version.program_id is not None:
            by_program.setdefault(version.program_id, []).append(version)
    context = {
        "sponsor": sponsor,
        "versions": [version for version in every if version.program_id is None],
        "overrides": [(v[0].program, v) for v in by_program.values()],
        "form": form,
        "keeper": keeper,
    }
    return _page(request, "onboarding/quality_agreement.html", context, form)


def agreement_for_sponsor(sponsor: Organisation) -> QualityAgreement:
    """The sponsor's latest default version (the form starts from its windows)."""
    latest = QualityAgreement.objects.filter(sponsor=sponsor, program__isnull=True).first()
    return latest or QualityAgreement(sponsor=sponsor)
