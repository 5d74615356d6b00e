"""Bad values are refused at every door, naming the field, and change nothing (portal/bounds.py;
issue 9, item 5).

Three sweeps that grow with the portal on their own:

- every write the permission matrix knows (tests/*/permission_rows.py) is sent again by the
  persona it succeeds for, once per bounded field with a value outside its bounds (a date of
  year 1 or 9999, a moment of year 1 typed by someone at UTC+14 or UTC-11, a control character
  in text): the API answers 400 naming the field in its one error shape, a page 422 with the
  error on that field of its form, and the database is as it was;
- every input serializer refuses out-of-window dates and control characters field by field;
- every model, form and serializer field that holds a date, an amount or text carries its bound
  (a new field without one fails here, naming it).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import get_resolver
from rest_framework import serializers

from portal import bounds
from portal.api.serializers import StrictCharField, StrictLineField, StrictSerializer
from portal.forms import DateField, DateTimeField
from portal.models import User
from tests.support.api import ERROR_KEYS, post_json
from tests.support.permissions import PROJECT_APPS, Row, Scene, database_state
from tests.test_permission_matrix import ROWS

EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"

DATE_TEMPLATES = {"{today}", "{in_a_week}", "{in_40_days}", "{in_45_days}"}
LOCAL_MOMENT_TEMPLATES = {"{later}", "{an_hour_ago}", "{two_hours_ago}"}
ISO_MOMENT_TEMPLATES = {"{an_hour_ago_iso}", "{two_hours_ago_iso}"}
TEXT_FIELDS = {
    "title",
    "name",
    "description",
    "body",
    "reason",
    "comment",
    "rationale",
    "notes",
    "agenda",
    "minutes",
    "number",
    "batch",
    "effectiveness_check",
}
CONTROL = "Bell\x07"
CONTROL_REFUSED = {
    bounds.LINE_REFUSED.format(what="control character", code=7),
    bounds.TEXT_REFUSED.format(what="control character", code=7),
}


@dataclass(frozen=True)
class Attempt:
    """One write of the permission matrix, sent again with one field out of bounds."""

    row: Row
    persona: str
    field: str
    value: str
    refused: frozenset[str]
    zone: str = "UTC"

    def __str__(self) -> str:
        return f"{self.row} as {self.persona} in {self.zone}: {self.field}={self.value!r}"


def _succeeds_for(row: Row) -> str | None:
    """The persona the row's write succeeds for, preferring the CDMO's."""
    for persona in ("pm", "leader", "lead_a", "staff"):
        outcome = row.expect.get(persona)
        if isinstance(outcome, int) and outcome < 400:
            return persona
    return None


def _bad_values(field: str, template: Any) -> Iterator[tuple[str, frozenset[str], str]]:
    """(value, the messages that refuse it, the reader's time zone) for one field of a row."""
    window = frozenset({bounds.DATE_OUT_OF_WINDOW})
    moment = frozenset({bounds.MOMENT_OUT_OF_WINDOW})
    if isinstance(template, dict | list):  # a JSON object or list: no bounded field itself
        return
    if template in DATE_TEMPLATES:
        for value in ("0001-01-01", "1989-12-31", "2101-01-01", "9999-12-31"):
            yield value, window, "UTC"
    elif template in LOCAL_MOMENT_TEMPLATES:
        for zone in (EAST, WEST):
            yield "0001-01-01T00:00", moment, zone
            yield "9999-12-31T23:59", moment, zone
    elif template in ISO_MOMENT_TEMPLATES:
        yield "0001-01-01T00:00:00+14:00", moment, "UTC"
        yield "1989-12-31T23:59:59Z", moment, "UTC"
        yield "9999-12-31T23:59:59-11:00", moment, "UTC"
    elif field in TEXT_FIELDS and isinstance(template, str):
        yield f"{template or 'x'} {CONTROL}", frozenset(CONTROL_REFUSED), "UTC"


def attempts() -> list[Attempt]:
    found = []
    for row in ROWS:
        persona = _succeeds_for(row)
        if row.method != "post" or persona is None or not isinstance(row.data, dict):
            continue
        for field, template in row.data.items():
            for value, refused, zone in _bad_values(field, template):
                found.append(Attempt(row, persona, field, value, refused, zone))
    return found


def _forms(value: Any) -> Iterator[forms.BaseForm]:
    """The forms in a template variable: a form, a formset's rows, a dict of forms."""
    if isinstance(value, forms.BaseForm):
        yield value
    elif isinstance(value, forms.BaseFormSet):
        yield from value
    elif isinstance(value, dict):
        yield from (form for form in value.values() if isinstance(form, forms.BaseForm))


def _shown(response: Any, field: str) -> list[str]:
    """What a page shows about the posted field: the errors on it in whichever form (or
    formset row) holds it, or, for a button that answers with a redirect, the message the next
    page carries."""
    if response.status_code == 302:
        return [str(message) for message in response.wsgi_request._messages]
    assert response.status_code == 422, response.content[:300]
    found: list[str] = []
    for scope in response.context or []:
        for value in scope.flatten().values() if hasattr(scope, "flatten") else []:
            for form in _forms(value):
                for name, errors in form.errors.items():
                    if form.add_prefix(name) == field:
                        found.extend(errors)
    return found


@pytest.mark.parametrize("attempt", attempts(), ids=str)
def test_a_value_out_of_bounds_is_refused_naming_the_field(
    permission_scene: Scene, db, attempt: Attempt
):
    scene, row = permission_scene, attempt.row
    user = getattr(scene.world, attempt.persona)
    User.objects.filter(pk=user.pk).update(time_zone=attempt.zone)
    body = {**scene.body(row), attempt.field: attempt.value}  # type: ignore[dict-item]
    client = scene.client(attempt.persona, "session")

    if row.is_api:
        response = post_json(client, scene.url(row), body)
        assert response.status_code == 400, response.content[:300]
        error = response.json()["error"]
        assert set(error) == ERROR_KEYS
        shown = error["fields"].get(attempt.field, [])
    else:
        shown = _shown(client.post(scene.url(row), body), attempt.field)
    assert set(shown) & attempt.refused, f"{attempt}: {shown}"
    User.objects.filter(pk=user.pk).update(time_zone="UTC")
    assert database_state() == scene.state, f"{attempt} changed the database"


def test_the_sweep_reaches_the_writes_the_issue_names():
    reached = {(a.row.url_name, a.field) for a in attempts()}

    for write in [
        ("deviation-new", "aware_at"),
        ("api-deviation-list", "occurred_at"),
        ("milestone-create", "baseline_date"),
        ("api-program-milestones", "baseline_date"),
        ("cost-line-create", "description"),
        ("meeting-create", "title"),
        ("meeting-create", "starts_at"),
        ("update-create", "title"),
        ("api-program-updates", "title"),
    ]:
        assert write in reached


# --- Serializers, field by field -------------------------------------------------------------


def _subclasses(cls: type) -> list[type]:
    """The project's subclasses of `cls`, once every view (and so every form and serializer
    a view uses) is imported by the URL resolver."""
    assert get_resolver().url_patterns
    found, todo = [], [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS:
                found.append(sub)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _bounded_inputs() -> list[tuple[str, str, Any, str]]:
    """(serializer, field, bad value, expected message) for every bounded input field."""
    cases = []
    for serializer in _subclasses(StrictSerializer):
        for name, field in serializer().fields.items():
            if field.read_only:
                continue
            label = f"{serializer.__name__}.{name}"
            if isinstance(field, serializers.DateTimeField):
                for value in ("0001-01-01T00:00:00+14:00", "2101-01-01T00:00:00Z"):
                    cases.append((label, name, value, bounds.MOMENT_OUT_OF_WINDOW))
            elif isinstance(field, serializers.DateField):
                for value in ("0001-01-01", "2101-01-01"):
                    cases.append((label, name, value, bounds.DATE_OUT_OF_WINDOW))
            elif isinstance(field, StrictCharField):
                one_line = isinstance(field, StrictLineField)
                template = bounds.LINE_REFUSED if one_line else bounds.TEXT_REFUSED
                refused = template.format(what="control character", code=27)
                cases.append((label, name, "A\x1bB", refused))
            elif isinstance(field, serializers.DecimalField):
                cases.append((label, name, "1000000000000", "no more than 12 digits before"))
    return cases


@pytest.mark.parametrize(("label", "name", "value", "message"), _bounded_inputs())
def test_every_input_serializer_refuses_out_of_bounds_values(label, name, value, message):
    by_name = {s.__name__: s for s in _subclasses(StrictSerializer)}
    serializer = by_name[label.split(".")[0]](data={name: value})

    assert not serializer.is_valid()
    assert any(message in str(error) for error in serializer.errors.get(name, [])), (
        serializer.errors
    )


def test_a_one_line_serializer_field_refuses_a_line_break_and_a_text_field_keeps_it():
    with pytest.raises(serializers.ValidationError) as refused:
        StrictLineField().run_validation("Two\nlines")

    assert refused.value.detail == [bounds.LINE_REFUSED.format(what="line break", code=10)]
    text = "Two\r\nlines\tand a tab"
    assert StrictCharField().run_validation(text) == text


# --- Every field carries its bound -----------------------------------------------------------

# Fields the portal writes itself, never from input: the audit trail and signatures (their own
# append-only rules), the activity stream, references and keys it generates.
GENERATED = {
    "portal.AuditEntry",
    "portal.Signature",
    "programs.Event",
    "comms.Notification.subject",
    "comms.Notification.url",
    "comms.Notification.last_error",
    "comms.Digest",
    "portal.ApiToken.prefix",
    "portal.ApiToken.key_hash",
    "governance.CalendarFeed.secret",
    "deviations.Deviation.reference",
    "programs.ChangeOrder.reference",
    "portal.User.password",
    "portal.User.last_login",
}


def _generated(model: type[models.Model], field: models.Field) -> bool:
    label = model._meta.label
    return label in GENERATED or f"{label}.{field.name}" in GENERATED


def _model_fields() -> Iterator[tuple[str, models.Field]]:
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.concrete_fields:
            if field.editable and not _generated(model, field):
                yield f"{model._meta.label}.{field.name}", field


def _validators(field: Any) -> list[Any]:
    return list(getattr(field, "validators", []))


def _carries_its_bound(field: Any, held: list[Any], kind: Any) -> bool:
    """One rule for a model's field and a form's (`kind` is `django.db.models` or
    `django.forms`): what it holds decides which bound it needs."""
    if isinstance(field, kind.DateTimeField):
        return bounds.validate_moment in held
    if isinstance(field, kind.DateField):
        return bounds.validate_date in held
    if isinstance(field, kind.DecimalField):
        return (field.max_digits, field.decimal_places) == (
            bounds.AMOUNT_DIGITS,
            bounds.AMOUNT_PLACES,
        )
    if isinstance(field, (kind.EmailField, kind.SlugField)):
        return True  # their own validators admit no control character
    if isinstance(field, models.Field) and field.choices:
        return True
    if isinstance(field, models.TextField):
        return bounds.validate_text in held
    if isinstance(field, models.CharField):  # one line, or a stricter pattern (a code)
        return bounds.validate_line in held or any(
            isinstance(v, bounds.RegexValidator) for v in held
        )
    if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput):
        return bounds.validate_line in held or bounds.validate_text in held
    return True


def test_every_model_field_that_holds_a_date_an_amount_or_text_carries_its_bound():
    missing = [
        label
        for label, field in _model_fields()
        if not _carries_its_bound(field, _validators(field), models)
    ]

    assert not missing, f"fields without their bound: {missing}"


def _form_fields() -> Iterator[tuple[str, type[forms.BaseForm], str, forms.Field]]:
    for form in _subclasses(forms.BaseForm):
        for name, field in getattr(form, "base_fields", {}).items():
            yield f"{form.__module__}.{form.__qualname__}.{name}", form, name, field


def _model_backed(form: type[forms.BaseForm], name: str) -> models.Field | None:
    """The model field a ModelForm's field saves to: its validators run in the form's
    `full_clean` of the instance."""
    meta = getattr(form, "_meta", None)
    model = getattr(meta, "model", None)
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def test_every_form_field_that_takes_a_date_an_amount_or_text_carries_its_bound():
    missing = [
        label
        for label, form, name, field in _form_fields()
        if not _carries_its_bound(
            field, _validators(field) + _validators(_model_backed(form, name)), forms
        )
    ]

    assert not missing, f"form fields without their bound: {missing}"


def test_a_date_picker_offers_only_the_window():
    day = DateField(widget=forms.DateInput(attrs={"type": "date"}))
    moment = DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    assert (day.widget.attrs["min"], day.widget.attrs["max"]) == ("1990-01-01", "2100-12-31")
    assert moment.widget.attrs["max"] == "2100-12-31T23:59"


def test_the_api_schema_states_the_bounds(permission_scene: Scene, db, client):
    client.force_login(permission_scene.world.pm)
    schema = json.loads(client.get("/api/v1/schema/?format=json").content)
    components = schema["components"]["schemas"]
    milestone = components["MilestoneCreateRequest"]["properties"]
    update = components["UpdateCreateRequest"]["properties"]
    deviation = components["DeviationCreateRequest"]["properties"]

    assert milestone["baseline_date"]["pattern"] == bounds.DATE_PATTERN
    assert bounds.DATE_HELP in milestone["baseline_date"]["description"]
    assert bounds.MOMENT_HELP in deviation["aware_at"]["description"]
    assert update["title"]["pattern"].startswith("^[^\\u0000-\\u001f")
    assert "\\u2028" in update["title"]["pattern"]
    assert "\\u2028" not in update["body"]["pattern"]


def test_a_moment_is_judged_in_utc_whatever_the_zone_it_was_typed_in():
    east = datetime.timezone(datetime.timedelta(hours=14))

    bounds.validate_moment(datetime.datetime(1990, 1, 1, 14, tzinfo=east))
    with pytest.raises(bounds.ValidationError):
        bounds.validate_moment(datetime.datetime(1990, 1, 1, 13, 59, tzinfo=east))


@pytest.mark.parametrize("value", ["0001-01-01", "2101-01-01", "99999-01-01"])
def test_a_date_query_parameter_out_of_bounds_is_a_400_naming_it(
    permission_scene: Scene, db, value
):
    client = permission_scene.client("pm", "session")

    response = client.get(f"/api/v1/meetings/?starts_from={value}")

    assert response.status_code == 400, response.content[:300]
    assert set(response.json()["error"]["fields"]) == {"starts_from"}


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_date_filter_on_a_page_out_of_bounds_is_an_error_on_that_filter(
    permission_scene: Scene, db, value
):
    client = permission_scene.client("lead_a", "session")

    response = client.get(f"/programs/HLX-101/history/?since={value}")

    assert response.status_code == 422
    assert response.context["filters"].form.errors == {"since": [bounds.DATE_OUT_OF_WINDOW]}
