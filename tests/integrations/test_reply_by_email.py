"""Replies by email, end to end: a signed reply-to address, a reply posted to the Postmark
inbound webhook (django-anymail) or left in an IMAP mailbox served by a real IMAP server
(pymap), and one handler that turns it into a comment or records why it did not."""

from __future__ import annotations

import base64
import imaplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from comms import reply_address
from comms.models import Comment, Notification
from comms.services.notifications import events_fan_out, notification_emails_deliver
from comms.services.updates import update_post
from integrations import mailboxes
from integrations.inbound import reply_text
from integrations.models import InboundEmail
from portal.models import AuditEntry
from programs.models import Event
from tests.comms.conversation_data import shared_update

pytestmark = pytest.mark.django_db

DOMAIN = "reply.northbridge.example"
SECRET = "postmark:inbound-s3cret"
URL = "/inbound/email/postmark/"
REPLY = """Thanks, we will check the batch record today.

On Tue, 1 Dec 2026 at 10:00, CDMO Portal <portal@northbridge.example> wrote:
> Fill line qualified
> The line passed its qualification runs.
"""


@pytest.fixture
def inbound(settings):
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    settings.INBOUND_EMAIL_WEBHOOK_SECRET = SECRET
    settings.INBOUND_EMAIL_MAX_BYTES = 100_000
    return settings


@pytest.fixture
def update(world):
    return shared_update(world, title="Fill line qualified", audience="sponsor")


def address_for(user, update) -> str:
    return reply_address.reply_address(user_id=user.pk, subject_type="update", subject_id=update.pk)


def postmark(client, *, sender: str, to: str, text: str = REPLY, message_id: str = "<m1@helix>"):
    payload = {
        "FromFull": {"Email": sender, "Name": "Sender"},
        "ToFull": [{"Email": to, "Name": ""}],
        "OriginalRecipient": to,
        "Subject": "Re: Fill line qualified",
        "MessageID": "5b1e9a2c-0000-4000-8000-000000000000",
        "TextBody": text,
        "HtmlBody": "",
        "Headers": [{"Name": "Message-ID", "Value": message_id}],
        "Attachments": [],
    }
    auth = base64.b64encode(SECRET.encode()).decode()
    return client.post(
        URL, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {auth}"
    )


# --- The address -------------------------------------------------------------------------


def test_a_reply_address_reads_back_what_it_was_made_for(inbound):
    address = reply_address.reply_address(user_id=7, subject_type="deviation", subject_id=42)

    assert address.startswith("reply+7-deviation-42-")
    assert address.endswith(f"@{DOMAIN}")
    assert reply_address.parse(address) == reply_address.ReplyAddress(7, "deviation", 42)
    assert reply_address.parse(address.upper()) == reply_address.ReplyAddress(7, "deviation", 42)


@pytest.mark.parametrize(
    "forge",
    [
        lambda a: a.replace("reply+7-", "reply+8-"),
        lambda a: a.replace("-42-", "-43-"),
        lambda a: a.replace("deviation", "milestone"),
        lambda a: a.replace(DOMAIN, "elsewhere.example"),
        lambda a: a[: -len(DOMAIN) - 3] + "000@" + DOMAIN,
    ],
)
def test_a_changed_address_does_not_verify(inbound, forge):
    address = reply_address.reply_address(user_id=7, subject_type="deviation", subject_id=42)

    assert reply_address.parse(forge(address)) is None


def test_the_reply_to_header_is_there_only_when_replies_are_set_up(settings):
    settings.INBOUND_EMAIL_DOMAIN = ""
    assert reply_address.reply_to_header(user_id=1, subject_type="update", subject_id=2) == {}
    settings.INBOUND_EMAIL_DOMAIN = DOMAIN
    header = reply_address.reply_to_header(user_id=1, subject_type="update", subject_id=2)
    assert reply_address.parse(header["Reply-To"]) is not None


def test_quoted_text_and_the_signature_are_stripped():
    assert reply_text(REPLY) == "Thanks, we will check the batch record today."
    assert reply_text("Fine by us.\r\n-- \r\nLee Lead\r\nHelix Bio\r\n") == "Fine by us."


# --- Through the Postmark inbound webhook --------------------------------------------------


def test_a_reply_becomes_the_senders_comment_on_its_subject(world, inbound, update, client):
    response = postmark(
        client, sender=world.lead_a.email.upper(), to=address_for(world.lead_a, update)
    )

    assert response.status_code == 200
    comment = Comment.objects.get(update=update)
    assert comment.author == world.lead_a
    assert comment.body == "Thanks, we will check the batch record today."
    assert comment.audience == "sponsor"
    record = InboundEmail.objects.get()
    assert (record.outcome, record.channel, record.comment) == ("commented", "postmark", comment)
    assert AuditEntry.objects.filter(
        model="integrations.inboundemail", actor=world.lead_a, program_id=world.program.pk
    ).exists()
    assert world.program.events.filter(verb="comment.posted", subject_id=str(comment.pk)).exists()


def test_replying_to_a_notification_email_comments_on_what_it_was_about(
    world, inbound, client, mailoutbox
):
    """The whole loop: an update is posted, its email to the sponsor lead carries a signed
    Reply-To, and answering that email puts the lead's comment on the update."""
    update = update_post(
        actor=world.pm,
        program=world.program,
        title="Fill line qualified",
        body="The line passed its qualification runs.",
        significance="critical",  # always emailed at once, whatever the lead's preferences
    )
    events_fan_out(event_ids=Event.objects.values_list("pk", flat=True))
    waiting = Notification.objects.filter(
        channel=Notification.Channel.EMAIL, recipient=world.lead_a, sent_at__isnull=True
    )
    notification_emails_deliver(notification_ids=waiting.values_list("pk", flat=True))

    (email,) = [m for m in mailoutbox if m.to == [world.lead_a.email]]
    reply_to = email.extra_headers["Reply-To"]
    assert reply_to.endswith("@" + DOMAIN)

    assert postmark(client, sender=world.lead_a.email, to=reply_to).status_code == 200
    comment = Comment.objects.get(update=update)
    assert (comment.author, comment.body) == (
        world.lead_a,
        "Thanks, we will check the batch record today.",
    )


def _refused(outcome: str) -> None:
    assert not Comment.objects.exists()
    record = InboundEmail.objects.get()
    assert record.outcome == outcome
    assert AuditEntry.objects.filter(
        model="integrations.inboundemail", object_pk=str(record.pk), actor=None
    ).exists()


def test_a_forged_address_posts_nothing_and_is_audited(world, inbound, update, client):
    forged = address_for(world.lead_a, update).replace(f"-{update.pk}-", f"-{update.pk + 1}-")

    response = postmark(client, sender=world.lead_a.email, to=forged)

    assert response.status_code == 200  # nothing bounced, nothing told
    _refused("bad_address")


def test_a_sender_who_is_not_the_addressee_posts_nothing(world, inbound, update, client):
    postmark(client, sender=world.lead_b.email, to=address_for(world.lead_a, update))

    _refused("unknown_sender")


def test_a_sender_who_may_not_see_the_subject_posts_nothing(world, inbound, update, client):
    """Sponsor B's lead, with an address genuinely signed for them, on sponsor A's update."""
    postmark(client, sender=world.lead_b.email, to=address_for(world.lead_b, update))

    _refused("not_allowed")


def test_an_internal_draft_is_out_of_a_sponsors_reach(world, inbound, client):
    draft = shared_update(world, title="Quillon draft", audience="internal", published_at=None)

    postmark(client, sender=world.lead_a.email, to=address_for(world.lead_a, draft))

    _refused("not_allowed")


def test_a_message_larger_than_the_limit_is_refused(world, inbound, update, client):
    inbound.INBOUND_EMAIL_MAX_BYTES = 2_000

    postmark(
        client, sender=world.lead_a.email, to=address_for(world.lead_a, update), text="x" * 5000
    )

    _refused("too_large")


def test_a_reply_with_nothing_of_its_own_is_refused(world, inbound, update, client):
    postmark(
        client,
        sender=world.lead_a.email,
        to=address_for(world.lead_a, update),
        text="On Tue, 1 Dec 2026 at 10:00, Portal <p@n.example> wrote:\n> quoted only\n",
    )

    _refused("empty")


def test_the_same_message_twice_makes_one_comment(world, inbound, update, client):
    to = address_for(world.lead_a, update)
    postmark(client, sender=world.lead_a.email, to=to)
    postmark(client, sender=world.lead_a.email, to=to)

    assert Comment.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_the_webhook_needs_its_secret(world, inbound, update, client):
    response = client.post(URL, {"TextBody": "x"}, content_type="application/json")

    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_the_webhook_is_not_found_unless_set_up(settings, client):
    settings.INBOUND_EMAIL_WEBHOOK_SECRET = ""

    assert client.post(URL, {}, content_type="application/json").status_code == 404


# --- Through an IMAP mailbox ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def imap_server(inbound):
    """pymap's in-memory IMAP server on a free loopback port, with its demo account."""
    port = _free_port()
    pymap = Path(sys.executable).parent / "pymap"
    process = subprocess.Popen(
        [str(pymap), "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the IMAP server did not start")
                time.sleep(0.1)
        inbound.INBOUND_IMAP_HOST = "127.0.0.1"
        inbound.INBOUND_IMAP_PORT = port
        inbound.INBOUND_IMAP_SSL = False
        inbound.INBOUND_IMAP_USER = "demouser"
        inbound.INBOUND_IMAP_PASSWORD = "demopass"
        yield port
    finally:
        process.terminate()
        process.wait(10)


def deliver(port: int, *, sender: str, to: str, text: str = REPLY, message_id: str) -> None:
    """Put a message in the mailbox, as a mail server would (IMAP APPEND)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Re: Fill line qualified"
    message["Message-ID"] = message_id
    message.set_content(text)
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login("demouser", "demopass")
    imap.append("INBOX", None, None, message.as_bytes())
    imap.logout()


def unseen(port: int) -> int:
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login("demouser", "demopass")
    imap.select("INBOX")
    found = imap.uid("SEARCH", None, "UNSEEN")[1][0].split()
    imap.logout()
    return len(found)


def test_replies_in_the_mailbox_become_comments_and_are_read_once(world, update, imap_server):
    deliver(
        imap_server,
        sender=world.lead_a.email,
        to=address_for(world.lead_a, update),
        message_id="<a@helix>",
    )
    deliver(
        imap_server,
        sender=world.lead_b.email,
        to=address_for(world.lead_a, update),
        message_id="<b@borealis>",
    )

    assert mailboxes.read_mailbox() == 2
    assert mailboxes.read_mailbox() == 0

    [comment] = Comment.objects.filter(update=update)
    assert comment.author == world.lead_a
    assert comment.body == "Thanks, we will check the batch record today."
    outcomes = dict(InboundEmail.objects.values_list("message_id", "outcome"))
    assert outcomes == {"<a@helix>": "commented", "<b@borealis>": "unknown_sender"}
    assert set(InboundEmail.objects.values_list("channel", flat=True)) == {"imap"}
    assert unseen(imap_server) == 0


def test_an_oversized_message_in_the_mailbox_is_refused_unread(world, update, inbound, imap_server):
    inbound.INBOUND_EMAIL_MAX_BYTES = 2_000
    deliver(
        imap_server,
        sender=world.lead_a.email,
        to=address_for(world.lead_a, update),
        text="y" * 10_000,
        message_id="<big@helix>",
    )

    assert mailboxes.read_mailbox() == 1

    _refused("too_large")


def test_the_mailbox_is_not_read_unless_set_up(settings):
    settings.INBOUND_IMAP_HOST = ""

    assert mailboxes.read_mailbox() == 0
