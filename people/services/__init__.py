"""Writes for people and access, one module per sub-domain: `invitations`, `members` (role,
grants, end date, deactivation) and `reviews` (the quarterly access review), with the checks
they share in `common`. Callers import from the sub-module.

Every change is audited in the global chain: it is an account's record, not a program's.
"""
