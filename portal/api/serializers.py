"""Serializer pieces shared by every app's API: strict input, people and the error shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field. Accepted fields: {accepted}."


class StrictCharField(serializers.CharField):
    """A string and nothing else: DRF would turn `123` into "123". (DRF itself already refuses
    NUL and lone surrogates, which PostgreSQL cannot store.)"""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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
