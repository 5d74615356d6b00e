"""Filters for the program history."""

from __future__ import annotations

import django_filters
from django import forms

from programs.models import Event


class HistoryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Event.Kind.choices, empty_label="Everything")
    since = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(field_name="summary", lookup_expr="icontains", label="Contains")

    class Meta:
        model = Event
        fields = ["kind", "since", "until", "q"]

    def clean_range(self) -> None:
        data = self.form.cleaned_data
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.form.add_error("until", "“To” must be on or after “From”.")

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if valid:
            self.clean_range()
        return valid and not self.form.errors
