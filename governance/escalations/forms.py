"""Forms of the escalation pages: they validate input only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from portal.forms import LineField, TextField
from programs.selectors import cdmo_people


class RaiseForm(forms.Form):
    """A sponsor's concern or the team's issue: what it is about and the detail."""

    title = LineField(
        max_length=250, label="What is the concern?", help_text="One line leadership will see."
    )
    detail = TextField(required=False, max_length=10_000, label="Details")

    def __init__(self, *args: Any, concern: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not concern:
            self.fields["title"].label = "What is the issue?"
            self.fields["title"].help_text = "One line the first level of the path will see."


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=cdmo_people(), label="Assign to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = cdmo_people()  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    resolution = TextField(
        max_length=10_000,
        label="Resolution",
        help_text="How it was resolved; the sponsor reads it for their concern.",
    )
