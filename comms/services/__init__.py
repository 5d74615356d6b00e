"""Writes for comms, one module per sub-domain: `updates` (posting, sharing, delivery, read
receipts, notifications), `conversations` (comments, questions, sharing notes), `health` and
`history`. Callers import from the sub-module; this package re-exports nothing.

Every write takes the program's row lock first and ends in the change primitive
(`programs.changes`), which audits it, tells the program's stream and schedules the one
after-commit reaction per program (live message, health). Delivery is asked of Celery by task
name (`portal.queue`): `comms.tasks` imports these modules, never the other way round.
"""
