"""Serializer pieces shared by every app's API: strict input, people, signatures and the error
shape."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal import bounds
from portal.models import Signature

UNKNOWN_FIELD = "Unknown field. Accepted fields: {accepted}."


class StrictCharField(serializers.CharField):
    """A string and nothing else: DRF would turn `123` into "123". Text that may run over
    lines, without other control characters (`bounds.validate_text`); the schema states the
    rule as the field's `pattern`."""

    default_error_messages = {"invalid": "Not a valid string."}
    printable: Any = bounds.validate_text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Before any other regular expression the field is given: the schema's `pattern` is
        # the first one's. After DRF's own checks, whose messages come first.
        regexes = [i for i, v in enumerate(self.validators) if isinstance(v, RegexValidator)]
        self.validators.insert(regexes[0] if regexes else len(self.validators), self.printable)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictLineField(StrictCharField):
    """One line of printable text: a title, a name, a code (`bounds.validate_line`)."""

    printable = bounds.validate_line


def _with_help(kwargs: dict[str, Any], window: str) -> dict[str, Any]:
    help_text = kwargs.get("help_text")
    return {**kwargs, "help_text": f"{help_text} {window}" if help_text else window}


@extend_schema_field({"type": "string", "format": "date", "pattern": bounds.DATE_PATTERN})
class DateField(serializers.DateField):
    """An ISO date in the window (`bounds.validate_date`), which the schema states."""

    default_validators = [bounds.validate_date]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_help(kwargs, bounds.DATE_HELP))


class DateTimeField(serializers.DateTimeField):
    """An ISO date and time in the window, read in UTC (`bounds.validate_moment`); one that
    cannot even be converted to UTC gets the same message."""

    default_validators = [bounds.validate_moment]
    default_error_messages = {"overflow": bounds.MOMENT_OUT_OF_WINDOW}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_help(kwargs, bounds.MOMENT_HELP))


class StrictSerializer(serializers.Serializer):
    """Input serializer that answers a field it does not know with a 400 naming that field,
    instead of silently dropping it (a misspelt `significance` must not post an 'info')."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            writable = sorted(name for name, field in self.fields.items() if not field.read_only)
            message = UNKNOWN_FIELD.format(accepted=", ".join(writable))
            unknown = {str(key): [message] for key in data if key not in writable}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class PersonSerializer(serializers.Serializer):
    """A person as a REST client sees them: who to call, never a database id."""

    name = serializers.CharField(source="display_name", read_only=True)
    email = serializers.EmailField(read_only=True)
    title = serializers.CharField(read_only=True)


class SignatureSerializer(serializers.Serializer):
    """An electronic signature as a REST client sees it (21 CFR 11.50), read from a
    `portal.signatures.SignatureStatus`: the signature and whether it is current."""

    printed_name = serializers.CharField(
        source="signature.printed_name", read_only=True, help_text="The signer's printed name."
    )
    meaning = serializers.ChoiceField(
        source="signature.meaning",
        choices=Signature.Meaning.choices,
        read_only=True,
        help_text="What the signature means.",
    )
    signed_at = serializers.DateTimeField(
        source="signature.signed_at",
        default_timezone=datetime.UTC,
        read_only=True,
        help_text="When it was signed: ISO 8601, in UTC.",
    )
    statement = serializers.CharField(
        source="signature.statement", read_only=True, help_text="What the signer added."
    )
    record_version = serializers.CharField(
        source="signature.record_version",
        read_only=True,
        help_text="SHA-256 of the record's signed content at the moment of signing.",
    )
    content_version = serializers.IntegerField(
        source="signature.content_version",
        read_only=True,
        help_text="Which definition of the record's signed content the hash covers "
        "(docs/signatures.md); a signature is always checked by its own.",
    )
    current = serializers.BooleanField(
        read_only=True,
        help_text="True while the record still holds exactly the content that was signed. "
        "False once that content changed (for a deviation: later work while it was open, QA "
        "reopening it, or a change made outside the portal): the signature is superseded and "
        "stays as the record of what was signed then. A closed or cancelled deviation is "
        "locked, so its closing signature stays current until QA reopens it.",
    )


class OrganisationSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="For people; may change wording.")
    # The wire name is `fields`; the metaclass moves it out of the way of `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Input field name → its problems. Empty unless the input was at fault.",
    )


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documentation only; `portal.api.exceptions` builds it)."""

    error = ErrorDetailSerializer()
