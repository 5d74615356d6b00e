"""A service's refusal lands on the form: by its field when shown, otherwise at the top."""

from django import forms

from portal.errors import ServiceError
from portal.forms import add_service_error


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
