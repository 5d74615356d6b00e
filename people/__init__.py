"""People managed by their own organisation: invitations, roles and program grants,
deactivation, the quarterly access review."""
