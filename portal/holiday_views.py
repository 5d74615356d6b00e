"""The site calendar page: CDMO users read it, leadership keeps it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal import access, holidays
from portal.errors import ServiceError
from portal.forms import DateField, LineField, add_service_error
from portal.http import PortalRequest, attempt


class HolidayForm(forms.Form):
    day = DateField(widget=forms.DateInput(attrs={"type": "date"}))
    name = LineField(max_length=100, help_text="What the site calls the day.")


class HolidayRemoveForm(forms.Form):
    reason = LineField(
        max_length=500,
        help_text="Recorded in the audit trail.",
        error_messages={"required": holidays.REASON_REQUIRED},
    )


@login_required
def holiday_list(request: PortalRequest) -> HttpResponse:
    if not access.is_cdmo(request.user):
        raise Http404("No such page.")
    keeper = holidays.may_keep_calendar(request.user)
    form = HolidayForm(request.POST or None)
    if request.method == "POST":
        if not keeper:
            return render(request, "portal/forbidden.html", status=403)
        if form.is_valid():
            try:
                holiday = holidays.site_holiday_add(actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{holiday} added to the site calendar.")
                return redirect("holiday-list")
    context = {
        "holidays": holidays.site_holiday_list(user=request.user),
        "form": form,
        "remove_form": HolidayRemoveForm(),
        "keeper": keeper,
    }
    return render(request, "portal/holidays.html", context, status=422 if form.errors else 200)


@require_POST
@login_required
def holiday_remove(request: PortalRequest, pk: int) -> HttpResponse:
    holiday = holidays.site_holiday_list(user=request.user).filter(pk=pk).first()
    if holiday is None:
        raise Http404("No such holiday.")
    form = HolidayRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["reason"]))
        return redirect("holiday-list")
    attempt(
        request,
        lambda: holidays.site_holiday_remove(
            actor=request.user, holiday=holiday, reason=form.cleaned_data["reason"]
        ),
        success=f"{holiday} removed from the site calendar.",
    )
    return redirect("holiday-list")
