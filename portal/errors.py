"""The one exception services raise when a rule is broken."""


class ServiceError(Exception):
    """A rule was broken. The message is meant for the user; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
