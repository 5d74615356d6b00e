"""A service's refusal lands on the form: by its field when shown, otherwise at the top."""

from django import forms
from django.core.exceptions import ValidationError

from portal.errors import ServiceError
from portal.forms import add_service_error, submit


class _Form(forms.Form):
    reason = forms.CharField()


def _bound() -> _Form:
    form = _Form({"reason": "x"})
    assert form.is_valid()
    return form


def test_a_refusal_naming_a_shown_field_sits_by_that_field():
    form = _bound()
    add_service_error(form, ServiceError("A reason is required.", field="reason"))
    assert form.errors == {"reason": ["A reason is required."]}


def test_a_refusal_naming_a_field_the_form_lacks_goes_to_the_top_instead_of_failing():
    form = _bound()
    add_service_error(form, ServiceError("Not your program.", field="program"))
    assert form.non_field_errors() == ["Not your program."]


def test_the_caller_can_say_which_fields_are_shown():
    form = _bound()
    add_service_error(form, ServiceError("Hidden.", field="reason"), fields=set())
    assert form.non_field_errors() == ["Hidden."]


def test_submit_hands_the_cleaned_data_and_the_arguments_to_the_service():
    calls = []

    saved = submit(_Form({"reason": "Resin late"}), lambda **kw: calls.append(kw), actor="pm")

    assert saved
    assert calls == [{"actor": "pm", "reason": "Resin late"}]


def test_submit_never_calls_the_service_with_invalid_input():
    calls = []
    form = _Form({"reason": ""})

    assert not submit(form, lambda **kw: calls.append(kw))
    assert calls == []
    assert "reason" in form.errors


def test_submit_puts_the_services_refusal_on_the_form():
    def refuse(**kw):
        raise ServiceError("That reason will not do.", field="reason")

    form = _Form({"reason": "x"})

    assert not submit(form, refuse)
    assert form.errors == {"reason": ["That reason will not do."]}


def test_submit_puts_a_rows_own_validation_on_the_fields_it_names():
    def refuse(**kw):
        raise ValidationError({"reason": ["Too odd."], "title": ["Not shown here."]})

    form = _Form({"reason": "x"})

    assert not submit(form, refuse)
    assert form.errors == {"reason": ["Too odd."], "__all__": ["Not shown here."]}
