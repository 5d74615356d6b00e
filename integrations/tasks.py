"""Webhook tasks: ids in, the service call, the portal's retry policy (late acks, bounded
retries with backoff). A delivery's own retries are its row's (`next_attempt_at`), so a task
that runs twice sends nothing twice."""

from __future__ import annotations

from integrations import mailboxes
from integrations.services import deliveries
from portal.transactions import service_task


@service_task()
def send_webhook(delivery_id: int) -> bool:
    return deliveries.webhook_delivery_send(delivery_id=delivery_id)


@service_task()
def sweep_webhooks() -> int:
    return len(deliveries.webhook_deliveries_sweep())


@service_task()
def read_reply_mailbox() -> int:
    """Replies by email from the IMAP mailbox (does nothing unless INBOUND_IMAP_HOST is set)."""
    return mailboxes.read_mailbox()
