"""The webhook endpoint form: bounded fields (portal/forms.py); the URL rules and the resolving
of the host are the service's (integrations/targets.py), shown inline next to the URL."""

from __future__ import annotations

from django import forms

from portal.forms import LineField
from programs.models import Event


class WebhookForm(forms.Form):
    url = LineField(
        label="URL",
        max_length=500,
        help_text="Where the portal POSTs events: https, on a public address.",
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/portal"}),
    )
    description = LineField(
        max_length=200, required=False, help_text="What receives them, e.g. 'QMS bridge'."
    )
    event_kinds = forms.MultipleChoiceField(
        label="Events",
        choices=Event.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The kinds of activity to send. Only what your people may read is ever sent.",
        error_messages={"required": "Choose at least one kind of event to receive."},
    )
