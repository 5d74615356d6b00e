"""Filters for the program history."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast

from comms.models import Comment
from deviations.models import CAPA, Deviation
from portal.forms import DateFilter
from programs.models import Event


def _keys(queryset: QuerySet) -> QuerySet:
    """Primary keys as the Event table stores a subject's (text), for an `IN` subquery."""
    return queryset.annotate(key=Cast("pk", CharField())).values("key")


def _label(model: type[Model]) -> str:
    return str(model._meta.label_lower)


class HistoryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Event.Kind.choices, empty_label="Everything")
    since = DateFilter(
        field_name="at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = DateFilter(
        field_name="at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(field_name="summary", lookup_expr="icontains", label="Contains")
    deviation = django_filters.CharFilter(
        method="filter_deviation",
        label="Deviation",
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "DEV-2026-0001"}),
    )

    class Meta:
        model = Event
        fields = ["kind", "since", "until", "q", "deviation"]

    def filter_deviation(self, queryset: QuerySet[Event], name: str, value: str) -> QuerySet:
        """Everything about one deviation: its own events, its CAPAs' and its thread's, found
        by the events' subjects (the rows are already scoped to what the reader may see)."""
        reference = value.strip().upper()
        about = (
            (Deviation, Deviation.objects.filter(reference=reference)),
            (CAPA, CAPA.objects.filter(deviation__reference=reference)),
            (Comment, Comment.objects.filter(deviation__reference=reference)),
        )
        subjects = Q()
        for model, rows in about:
            subjects |= Q(subject_type=_label(model), subject_id__in=_keys(rows))
        return queryset.filter(subjects)

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
