"""The demo has a pending invitation and a signed-off access review for Helix, seeding twice
changes nothing, and every demo login still works."""

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from people.models import AccessReview, Invitation
from portal.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_pending_invitation_and_a_signed_off_review():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    invitation = Invitation.objects.get()
    assert invitation.is_pending
    assert [p.code for p in invitation.programs.all()] == ["HLX-101"]
    review = AccessReview.objects.get()
    assert review.organisation.slug == "helix"
    assert review.is_signed_off
    assert (
        review.decisions.count()
        == User.objects.filter(membership__organisation__slug="helix").count()
    )
    assert mail.outbox == []
    for user in User.objects.filter(membership__isnull=False):
        assert Client().login(email=user.email, password="portal-demo"), user.email
