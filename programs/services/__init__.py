"""Writes for programs, one module per sub-domain: `program` (set-up), `members` (people and
handovers), `health`, `timeline` (workstreams and milestones) and `costs` (budget, change
orders, cost lines, invoices). Callers import from the sub-module.

Every service checks permission with `portal.access`, runs in `@atomic_service`, takes the
program's row lock first (`changes.lock_program`) and ends each write with the change
primitive (`programs.changes`): audit entry, typed event, version bump, one reaction.
"""
