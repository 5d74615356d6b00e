"""People pages: an organisation's people and invitations, one person's access, the quarterly
access review, the CDMO's review dashboard, and accepting an invitation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from people import selectors
from people.forms import AcceptForm, DeactivateForm, DecisionForm, InvitationForm, MembershipForm
from people.services import invitations, members, reviews
from portal import access, clock
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest, attempt
from portal.models import Organisation, User

# The portal's password backend (settings.AUTHENTICATION_BACKENDS): the session keeps its name.
LOGIN_BACKEND = "portal.backends.OpenAccountBackend"


def _organisation(request: PortalRequest, slug: str) -> Organisation | HttpResponse:
    """The organisation `slug` if the user manages its people; a 403 page for its own
    members and the CDMO's who do not; another sponsor is a 404."""
    organisation = Organisation.objects.filter(slug=slug).first()
    who = access.viewer(request.user)
    if organisation is None or who is None:
        raise Http404("No such organisation.")
    if not (who.is_cdmo or who.organisation_id == organisation.pk):
        raise Http404("No such organisation.")
    if not access.may_manage_people(request.user, organisation):
        return render(request, "portal/forbidden.html", status=403)
    return organisation


@login_required
def people_home(request: PortalRequest) -> HttpResponse:
    """Your own organisation's people page."""
    who = access.viewer(request.user)
    if who is None:
        raise Http404("No such page.")
    own = Organisation.objects.get(pk=who.organisation_id)
    return redirect("people:organisation", slug=own.slug)


@login_required
def organisation_people(request: PortalRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    form = InvitationForm(request.POST or None, actor=request.user, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _ = invitations.invitation_create(
                actor=request.user, organisation=organisation, **form.cleaned_data
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("people:organisation", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "people": selectors.people_of(organisation),
        "invitations": selectors.invitations_of(organisation),
        "form": form,
        "is_sponsor": organisation.kind == Organisation.Kind.SPONSOR,
    }
    return render(request, "people/organisation.html", context, status=422 if form.errors else 200)


@login_required
def person_edit(request: PortalRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    membership = selectors.get_membership(organisation, pk)
    initial = {
        "role": membership.role,
        "all_programs": membership.all_programs,
        "programs": list(membership.programs.all()),
        "access_ends_on": membership.access_ends_on,
    }
    form = MembershipForm(
        request.POST or None, initial=initial, actor=request.user, organisation=organisation
    )
    if request.method == "POST" and form.is_valid():
        data = {"all_programs": True, "programs": [], **form.cleaned_data}
        try:
            members.membership_update(actor=request.user, membership=membership, **data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Access of {membership.user} changed.")
            return redirect("people:organisation", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "membership": membership,
        "form": form,
        "deactivate_form": DeactivateForm(),
    }
    return render(request, "people/person.html", context, status=422 if form.errors else 200)


@require_POST
@login_required
def person_deactivate(request: PortalRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    membership = selectors.get_membership(organisation, pk)
    form = DeactivateForm(request.POST)
    if not form.is_valid():  # a reason that is not one line of printable text: nothing changes
        for error in form.errors.get("reason", []):
            messages.error(request, str(error))
        return redirect("people:organisation", slug=organisation.slug)
    reason = form.cleaned_data["reason"]
    attempt(
        request,
        lambda: members.person_deactivate(actor=request.user, user=membership.user, reason=reason),
        success=f"{membership.user} deactivated: their sessions have ended.",
    )
    return redirect("people:organisation", slug=organisation.slug)


@require_POST
@login_required
def person_reactivate(request: PortalRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    membership = selectors.get_membership(organisation, pk)
    attempt(
        request,
        lambda: members.person_reactivate(actor=request.user, user=membership.user),
        success=f"{membership.user} reactivated.",
    )
    return redirect("people:organisation", slug=organisation.slug)


@require_POST
@login_required
def invitation_revoke(request: PortalRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    invitation = selectors.get_invitation(organisation, pk)
    attempt(
        request,
        lambda: invitations.invitation_revoke(actor=request.user, invitation=invitation),
        success=f"Invitation of {invitation.email} revoked: its link no longer works.",
    )
    return redirect("people:organisation", slug=organisation.slug)


@require_POST
@login_required
def invitation_resend(request: PortalRequest, slug: str, pk: int) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    invitation = selectors.get_invitation(organisation, pk)
    attempt(
        request,
        lambda: invitations.invitation_resend(actor=request.user, invitation=invitation),
        success=f"Invitation sent again to {invitation.email} with a new link.",
    )
    return redirect("people:organisation", slug=organisation.slug)


# --- Accepting an invitation ----------------------------------------------------------------


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link: the token is the credential. A refused link or
    acceptance is audited like a refused sign-in."""
    invitation, why = invitations.invitation_check(token)
    if why:
        invitations.invitation_refusal_record(request=request, invitation=invitation, why=why)
        return render(request, "people/invitation_refused.html", {"why": why}, status=410)
    assert invitation is not None
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept(
                token=token,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password"],
            )
        except ServiceError as exc:
            if exc.field == "token":
                invitations.invitation_refusal_record(
                    request=request, invitation=invitation, why=exc.message
                )
                refused = {"why": exc.message}
                return render(request, "people/invitation_refused.html", refused, status=410)
            add_service_error(form, exc)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            messages.success(request, f"Welcome to the portal, {user.display_name}.")
            return redirect("home")
    context: dict[str, Any] = {"invitation": invitation, "form": form}
    return render(
        request, "people/invitation_accept.html", context, status=422 if form.errors else 200
    )


# --- Quarterly access review ----------------------------------------------------------------


@login_required
def review_home(request: PortalRequest) -> HttpResponse:
    """Your own organisation's review of this quarter."""
    who = access.viewer(request.user)
    if who is None:
        raise Http404("No such page.")
    own = Organisation.objects.get(pk=who.organisation_id)
    return redirect("people:organisation-review", slug=own.slug)


@login_required
def organisation_review(request: PortalRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    if organisation.kind != Organisation.Kind.SPONSOR:
        raise Http404("Access reviews are for sponsor organisations.")
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        review = reviews.access_review_open(organisation=organisation, quarter=clock.site_today())
        if form.is_valid():
            person = User.objects.filter(
                pk=form.cleaned_data["user"], membership__organisation=organisation
            ).first()
            if person is None:
                raise Http404("No such person.")
            decision = form.cleaned_data["decision"]
            said = "access confirmed" if decision == "confirmed" else "access removed"
            attempt(
                request,
                lambda: reviews.access_review_decide(
                    actor=request.user, review=review, user=person, decision=decision
                ),
                success=f"{person}: {said}.",
            )
        else:
            messages.error(request, "Choose confirm or remove for one person.")
        return redirect("people:organisation-review", slug=organisation.slug)
    review = selectors.current_review(organisation)
    context: dict[str, Any] = {
        "organisation": organisation,
        "review": review,
        "rows": selectors.review_rows(review),
    }
    return render(request, "people/review.html", context)


@require_POST
@login_required
def review_sign_off(request: PortalRequest, slug: str) -> HttpResponse:
    organisation = _organisation(request, slug)
    if isinstance(organisation, HttpResponse):
        return organisation
    if organisation.kind != Organisation.Kind.SPONSOR:
        raise Http404("Access reviews are for sponsor organisations.")
    review = reviews.access_review_open(organisation=organisation, quarter=clock.site_today())
    attempt(
        request,
        lambda: reviews.access_review_sign_off(actor=request.user, review=review),
        success=f"Access review {review.label} signed off.",
    )
    return redirect("people:organisation-review", slug=organisation.slug)


@login_required
def review_dashboard(request: PortalRequest) -> HttpResponse:
    """CDMO administrators: every sponsor's last review and whether one is overdue."""
    if not access.is_cdmo(request.user):
        raise Http404("No such page.")
    if not access.is_cdmo_admin(request.user):
        return render(request, "portal/forbidden.html", status=403)
    rows = selectors.review_dashboard()
    context = {"rows": rows, "overdue": sum(1 for row in rows if row.overdue)}
    return render(request, "people/review_dashboard.html", context)
