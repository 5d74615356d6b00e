"""Onboarding forms: bounded fields, help text where the CDMO administrator looks."""

from __future__ import annotations

from django import forms

from portal.forms import LineField
from programs.models import Program, ProgramMember

REASON_HELP = "Recorded in the audit trail with the change."


class OrganisationForm(forms.Form):
    name = LineField(max_length=200, help_text="The sponsor's name as its people know it.")
    slug = forms.SlugField(
        max_length=60,
        help_text="A short unique name: lower-case letters, digits and hyphens (e.g. helix).",
    )
    email_domains = LineField(
        max_length=500,
        required=False,
        help_text="Domains of the sponsor's people, separated by spaces or commas "
        "(e.g. helix.example). When set, invitations go only to these domains.",
    )
    mfa_required = forms.BooleanField(
        required=False,
        label="Two-factor authentication required",
        help_text="Every member of the sponsor must set up a second factor.",
    )
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)


class ProgramCreateForm(forms.Form):
    code = LineField(max_length=20, help_text="The program's short code (e.g. HLX-202).")
    name = LineField(max_length=200, help_text="The program's name.")
    phase = forms.ChoiceField(choices=Program.Phase.choices)
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)


class TeamMemberForm(forms.Form):
    user: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None,
        label="Person",
        help_text="CDMO roles take CDMO people; sponsor roles take this program's sponsor's.",
    )
    role = forms.ChoiceField(
        choices=ProgramMember.Role.choices,
        help_text="A new dedicated PM hands over from the current one (the stream says so).",
    )
    rank = forms.ChoiceField(choices=[("", "—"), *ProgramMember.Rank.choices], required=False)
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)

    def __init__(self, *args: object, people: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].queryset = people  # type: ignore[attr-defined]


class EndTenureForm(forms.Form):
    reason = LineField(max_length=500, required=False, help_text=REASON_HELP)
